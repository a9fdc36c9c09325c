"""Version of the package (kept in one place, read by pyproject.toml)."""

# The public API is mne-icalabel 0.10's; the local label "+dropin" (PEP 440)
# says this is not the 0.10.0 release of the package index, which has the same
# name: a package index never holds a local version, and "mne-icalabel==0.10.0"
# still matches it for tools that pin the release.
__version__ = "0.10.0+dropin"
