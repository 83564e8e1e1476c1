"""The service-test protocol of a ``kind: protocol`` definition file."""

from __future__ import annotations

import re
from typing import Any

from surveyapp.questionnaires.checks import Checker, fmt, is_int
from surveyapp.questionnaires.yaml_source import Entry, Map, Scalar, describe, raw_value

CHANNELS = ("phone", "email", "web")
MISSING_CONTACTS = ("zero", "exclude")
DEFAULT_PHONE_HOURS = {"start": "09:30", "end": "15:00"}
WEIGHT_TOLERANCE = 0.001

#: The top-level keys of a protocol, and those it must have.
PROTOCOL_KEYS = (
    "channels",
    "sectors",
    "scenarios",
    "grade_bands",
    "missing_contacts",
    "phone_hours",
)
PROTOCOL_REQUIRED = ("channels", "sectors", "scenarios", "grade_bands")

# Per channel: optional integer settings (name, minimum, default), and the point keys.
_CHANNEL_SETTINGS: dict[str, tuple[tuple[str, int, int], ...]] = {
    "phone": (("max_attempts", 1, 2), ("max_wait_seconds", 1, 240)),
    "email": (("quality_cutoff_days", 1, 10),),
    "web": (("time_limit_seconds", 1, 120), ("testers", 1, 2)),
}
_CHANNEL_POINTS: dict[str, tuple[str, ...]] = {
    "phone": ("answered_first_contact", "checkpoint", "referred_correctly", "courtesy"),
    "email": ("checkpoint", "courtesy"),
    "web": ("found", "quality"),
}
_CHECKPOINT_CHANNELS = ("phone", "email")
# Sector, scenario and checkpoint codes (the format leaves their spelling open).
_ITEM_CODE_RE = re.compile(r"[a-z0-9][a-z0-9_-]*")
_TIME_RE = re.compile(r"(?:[01][0-9]|2[0-3]):[0-5][0-9]")


class ProtocolReader(Checker):
    """Reads a protocol's channels, sectors, scenarios, grade bands and rules."""

    def read(self, root: Map) -> dict[str, Any]:
        channels = self.channels(root.entries.get("channels"))
        sectors = self.sectors(root.entries.get("sectors"))
        scenarios = self.scenarios(root.entries.get("scenarios"), channels, sectors)
        grade_bands = self.grade_bands(root.entries.get("grade_bands"))

        missing = "zero"
        entry = root.entries.get("missing_contacts")
        if entry is not None:
            value = entry.value
            if isinstance(value, Scalar) and value.value in MISSING_CONTACTS:
                missing = value.value
            else:
                self.expected(entry, "missing_contacts", "", "'zero' or 'exclude'")

        return {
            "channels": channels or {},
            "sectors": sectors or {},
            "scenarios": scenarios,
            "grade_bands": grade_bands,
            "missing_contacts": missing,
            "phone_hours": self.phone_hours(root.entries.get("phone_hours")),
        }

    def weights_sum(self, entry: Entry, what: str, weights: dict[str, float]) -> None:
        total = sum(weights.values())
        if abs(total - 1) > WEIGHT_TOLERANCE:
            parts = " + ".join(f"{name} {fmt(w)}" for name, w in weights.items())
            self.err(
                entry.line,
                what,
                f"the {what[:-1]} weights add up to {total:.4g}, not 1 ({parts})",
            )

    def channels(self, entry: Entry | None) -> dict[str, dict[str, Any]] | None:
        if entry is None:
            return None
        m = self.as_map(entry, "channels", "", "a mapping of channel names to settings")
        if m is None:
            return None
        if not m.entries:
            self.err(entry.line, "channels", "at least one channel is needed")
            return None
        result: dict[str, dict[str, Any]] = {}
        weights: dict[str, float] = {}
        weights_ok = True
        for name, channel_entry in m.entries.items():
            where = f"channel '{name}'"
            if name not in CHANNELS:
                self.err(
                    channel_entry.line,
                    "channels",
                    f"unknown channel '{name}' (expected one of: {', '.join(CHANNELS)})",
                )
                weights_ok = False
                continue
            cm = self.as_map(channel_entry, name, "channels", "a mapping of channel settings")
            if cm is None:
                weights_ok = False
                continue
            settings = _CHANNEL_SETTINGS[name]
            required = ["weight", "points"] + (["speed"] if name == "email" else [])
            optional = [key for key, _, _ in settings] + (
                ["send_cutoff"] if name == "email" else []
            )
            self.keys(cm, where, required, optional, line=channel_entry.line)
            weight = self.get_number(cm, "weight", where, non_negative=True)
            if weight is None:
                weights_ok = False
            else:
                weights[name] = weight
            channel: dict[str, Any] = {"weight": weight}
            for key, minimum, default in settings:
                channel[key] = self.get_int(cm, key, where, default, minimum=minimum)
            max_points = 0.0
            if name == "email":
                channel["send_cutoff"] = self.send_cutoff(cm.entries.get("send_cutoff"), where)
                channel["speed"] = self.speed(cm.entries.get("speed"), where)
                max_points += max((row["points"] for row in channel["speed"]), default=0)
            points = self.points(cm.entries.get("points"), name, where)
            channel["points"] = points
            if points is not None:
                max_points += sum(points.values())
                if max_points <= 0:
                    self.err(
                        cm.entries["points"].line,
                        where,
                        "all points are 0; a contact's maximum score must be more than 0",
                    )
            result[name] = channel
        if weights_ok and weights:
            self.weights_sum(entry, "channels", weights)
        return result

    def points(self, entry: Entry | None, channel: str, where: str) -> dict[str, float] | None:
        if entry is None:
            return None
        m = self.as_map(entry, "points", where, "a mapping of point names to numbers")
        if m is None:
            return None
        keys = _CHANNEL_POINTS[channel]
        self.keys(m, where, keys, line=entry.line)
        result: dict[str, float] = {}
        for key in keys:
            value = self.get_number(m, key, where, non_negative=True)
            if value is None:
                if key in m.entries:
                    return None
                continue
            result[key] = value
        return result if len(result) == len(keys) else None

    def speed(self, entry: Entry | None, where: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        if entry is None:
            return rows
        seq = self.as_list(entry, "speed", where, "a list of {within_days, points} rows")
        if seq is None:
            return rows
        if not seq.items:
            self.err(entry.line, where, "'speed' is an empty list")
            return rows
        previous: int | None = None
        for item in seq.items:
            if not isinstance(item, Map):
                self.err(
                    item.line,
                    where,
                    f"a speed row must be a mapping {{within_days, points}}, not {describe(item)}",
                )
                continue
            self.keys(item, where, ["within_days", "points"])
            days = self.get_int(item, "within_days", where, minimum=0)
            points = self.get_number(item, "points", where, non_negative=True)
            if days is not None:
                if previous is not None and days <= previous:
                    self.err(
                        item.entries["within_days"].line,
                        where,
                        "speed rows must be in ascending order of within_days:"
                        f" {days} comes after {previous}",
                    )
                previous = days
            if days is not None and points is not None:
                rows.append({"within_days": days, "points": points})
        return rows

    def sectors(self, entry: Entry | None) -> dict[str, dict[str, Any]] | None:
        if entry is None:
            return None
        m = self.as_map(entry, "sectors", "", "a mapping of sector codes to {title, weight}")
        if m is None:
            return None
        if not m.entries:
            self.err(entry.line, "sectors", "at least one sector is needed")
            return None
        result: dict[str, dict[str, Any]] = {}
        weights: dict[str, float] = {}
        weights_ok = True
        for code, sector_entry in m.entries.items():
            where = f"sector '{code}'"
            if not _ITEM_CODE_RE.fullmatch(code):
                self.err(
                    sector_entry.line,
                    where,
                    f"sector code '{code}' is not valid: use lower-case letters a-z, digits,"
                    " '_' and '-'",
                )
            sm = self.as_map(sector_entry, code, "sectors", "a mapping {title, weight}")
            if sm is None:
                weights_ok = False
                continue
            self.keys(sm, where, ["title", "weight"], line=sector_entry.line)
            weight = self.get_number(sm, "weight", where, non_negative=True)
            if weight is None:
                weights_ok = False
            else:
                weights[code] = weight
            result[code] = {"title": self.get_translation(sm, "title", where), "weight": weight}
        if weights_ok:
            self.weights_sum(entry, "sectors", weights)
        return result

    def scenarios(
        self,
        entry: Entry | None,
        channels: dict[str, dict[str, Any]] | None,
        sectors: dict[str, dict[str, Any]] | None,
    ) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = []
        if entry is None:
            return result
        seq = self.as_list(entry, "scenarios", "", "a list of scenarios")
        if seq is None:
            return result
        if not seq.items:
            self.err(entry.line, "scenarios", "'scenarios' is an empty list")
            return result
        seen: dict[str, int] = {}
        for n, item in enumerate(seq.items, 1):
            if not isinstance(item, Map):
                self.err(item.line, "", f"scenario {n} must be a mapping, not {describe(item)}")
                continue
            raw_code = raw_value(item.entries.get("code"))
            where = f"scenario '{raw_code}'" if isinstance(raw_code, str) else f"scenario {n}"
            self.keys(
                item,
                where,
                ["code", "sector", "channels", "question"],
                ["persona", "script", "checkpoints"],
            )
            code = self.code(
                item,
                "code",
                where,
                _ITEM_CODE_RE,
                "use lower-case letters a-z, digits, '_' and '-'",
                what="scenario code",
            )
            if code is not None:
                line = item.entries["code"].line
                if code in seen:
                    self.err(
                        line,
                        where,
                        f"duplicate scenario code '{code}' (first at line {seen[code]})",
                    )
                else:
                    seen[code] = line
            sector = self.get_str(item, "sector", where)
            if sector is not None and sectors is not None and sector not in sectors:
                self.err(
                    item.entries["sector"].line,
                    where,
                    f"unknown sector '{sector}' (sectors defined: {', '.join(sectors) or 'none'})",
                )
            used: list[str] = []
            channels_entry = item.entries.get("channels")
            if channels_entry is not None:
                used = self.scenario_channels(channels_entry, where, channels)
            checkpoints = self.checkpoints(item.entries.get("checkpoints"), where)
            needs = [c for c in used if c in _CHECKPOINT_CHANNELS]
            if needs and not checkpoints and "checkpoints" not in item.entries:
                self.err(
                    item.line,
                    where,
                    f"a scenario for {' and '.join(needs)} needs at least one checkpoint",
                )
            result.append(
                {
                    "code": code,
                    "sector": sector,
                    "channels": used,
                    "persona": self.get_translation(item, "persona", where),
                    "script": self.get_translation(item, "script", where),
                    "question": self.get_translation(item, "question", where),
                    "checkpoints": checkpoints,
                }
            )
        return result

    def scenario_channels(
        self, entry: Entry, where: str, channels: dict[str, dict[str, Any]] | None
    ) -> list[str]:
        seq = self.as_list(entry, "channels", where, "a list of channel names")
        if seq is None:
            return []
        if not seq.items:
            self.err(entry.line, where, "'channels' is an empty list")
        used: list[str] = []
        for item in seq.items:
            name = item.value if isinstance(item, Scalar) else None
            if not isinstance(name, str):
                self.err(item.line, where, f"a channel name must be text, not {describe(item)}")
            elif name not in CHANNELS:
                self.err(
                    item.line,
                    where,
                    f"unknown channel '{name}' (expected one of: {', '.join(CHANNELS)})",
                )
            elif name in used:
                self.err(item.line, where, f"channel '{name}' is listed twice")
            elif channels is not None and name not in channels:
                self.err(
                    item.line,
                    where,
                    f"channel '{name}' is not defined in the top-level 'channels'",
                )
            else:
                used.append(name)
        return used

    def checkpoints(self, entry: Entry | None, where: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = []
        if entry is None:
            return result
        seq = self.as_list(entry, "checkpoints", where, "a list of {code, text} items")
        if seq is None:
            return result
        if not seq.items:
            self.err(entry.line, where, "'checkpoints' is an empty list")
            return result
        seen: dict[str, int] = {}
        for n, item in enumerate(seq.items, 1):
            if not isinstance(item, Map):
                self.err(
                    item.line,
                    where,
                    f"checkpoint {n} must be a mapping {{code, text}}, not {describe(item)}",
                )
                continue
            raw_code = raw_value(item.entries.get("code"))
            here = f"{where}, checkpoint '{raw_code}'" if isinstance(raw_code, str) else where
            self.keys(item, here, ["code", "text"])
            code = self.code(
                item,
                "code",
                here,
                _ITEM_CODE_RE,
                "use lower-case letters a-z, digits, '_' and '-'",
                what="checkpoint code",
            )
            if code is not None:
                line = item.entries["code"].line
                if code in seen:
                    self.err(
                        line,
                        here,
                        f"duplicate checkpoint code '{code}' (first at line {seen[code]})",
                    )
                else:
                    seen[code] = line
            result.append({"code": code, "text": self.get_translation(item, "text", here)})
        return result

    def grade_bands(self, entry: Entry | None) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = []
        if entry is None:
            return result
        where = "grade_bands"
        seq = self.as_list(entry, "grade_bands", "", "a list of {min, label} bands")
        if seq is None:
            return result
        if not seq.items:
            self.err(entry.line, where, "'grade_bands' is an empty list")
            return result
        previous: float | None = None
        last: float | None = None
        for item in seq.items:
            if not isinstance(item, Map):
                self.err(
                    item.line,
                    where,
                    f"a grade band must be a mapping {{min, label}}, not {describe(item)}",
                )
                last = None
                continue
            self.keys(item, where, ["min", "label"])
            low = self.get_number(item, "min", where)
            if low is not None:
                line = item.entries["min"].line
                if not 0 <= low <= 100:
                    self.err(line, where, f"'min' must be between 0 and 100, not {fmt(low)}")
                if previous is not None and low >= previous:
                    self.err(
                        line,
                        where,
                        "grade bands must be listed highest 'min' first (descending):"
                        f" {fmt(low)} comes after {fmt(previous)}",
                    )
                previous = low
            last = low
            result.append({"min": low, "label": self.get_translation(item, "label", where)})
        if last is not None and last != 0:
            self.err(
                seq.items[-1].line,
                where,
                f"the lowest grade band must have min 0, not {fmt(last)}",
            )
        return result

    def send_cutoff(self, entry: Entry | None, where: str) -> str | None:
        """Optional e-mail send cut-off time ("HH:MM"); None when not set."""
        if entry is None:
            return None
        value = entry.value
        if isinstance(value, Scalar) and isinstance(value.value, str):
            if _TIME_RE.fullmatch(value.value):
                return value.value
        self.err(entry.line, where, "'send_cutoff' must be a time in quotes as \"HH:MM\"")
        return None

    def phone_hours(self, entry: Entry | None) -> dict[str, str]:
        hours = dict(DEFAULT_PHONE_HOURS)
        if entry is None:
            return hours
        where = "phone_hours"
        m = self.as_map(entry, "phone_hours", "", 'a mapping {start: "09:30", end: "15:00"}')
        if m is None:
            return hours
        self.keys(m, where, [], ["start", "end"], line=entry.line)
        ok = True
        for key in ("start", "end"):
            time_entry = m.entries.get(key)
            if time_entry is None:
                continue
            value = time_entry.value
            if isinstance(value, Scalar) and isinstance(value.value, str):
                if _TIME_RE.fullmatch(value.value):
                    hours[key] = value.value
                    continue
                self.err(
                    time_entry.line,
                    where,
                    f"'{key}' must be a time as HH:MM (e.g. \"09:30\"), not '{value.value}'",
                )
            elif isinstance(value, Scalar) and is_int(value.value):
                self.err(
                    time_entry.line,
                    where,
                    f"'{key}' must be a time in quotes, e.g. \"15:00\" (unquoted, YAML reads"
                    f" a time like 15:00 as the number 900; here it read {value.value})",
                )
            else:
                self.expected(time_entry, key, where, 'a time as "HH:MM"')
            ok = False
        if ok and hours["start"] >= hours["end"]:
            self.err(
                entry.line,
                where,
                f"'start' ({hours['start']}) must be before 'end' ({hours['end']})",
            )
        return hours
