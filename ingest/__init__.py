"""Turns files dropped into the inbox into indexed, citable chunks."""
