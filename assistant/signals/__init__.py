"""Vendor signals: the events documents report, per vendor and in time order."""
