"""The composition root: VendorIntel wires the parts together and is what the shells call."""

from assistant.app.intel import VendorIntel

__all__ = ["VendorIntel"]
