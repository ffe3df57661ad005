"""digest: nightly English digests of documents in any language."""

__version__ = "0.1.0"
