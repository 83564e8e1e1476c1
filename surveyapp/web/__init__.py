"""Site-wide pages, language choice, security headers and error pages."""
