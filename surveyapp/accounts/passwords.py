"""Password policy and hashing; plain functions, no Flask request."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

MIN_LENGTH = 12
COMMON_FILE = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt"
HASH_METHOD = "scrypt"
#: Compared against when the account does not exist, so timing does not reveal that.
DUMMY_HASH = generate_password_hash("not-a-real-password-0000", method=HASH_METHOD)


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip())


def policy_problems(password: str, email: str = "", name: str = "") -> list[str]:
    """Reasons a password is refused, as message keys; empty when it is acceptable."""
    problems: list[str] = []
    if len(password) < MIN_LENGTH:
        problems.append("too_short")
    lowered = password.lower()
    core = re.sub(r"[\d\W_]+$", "", lowered)  # "Sommer2024!" -> "sommer"
    common = common_passwords()
    if lowered in common or core in common:
        problems.append("too_common")
    elif len(set(lowered)) < 5:
        problems.append("too_simple")
    personal = [email.split("@")[0].lower()] + [p.lower() for p in name.split()]
    if any(len(p) >= 4 and p in lowered for p in personal):
        problems.append("personal")
    return problems


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=HASH_METHOD)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Check a password; costs the same when there is no account."""
    return check_password_hash(stored_hash or DUMMY_HASH, password) and stored_hash is not None
