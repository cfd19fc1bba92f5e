"""The 90-day checkpoint briefing per vendor, and its Markdown, HTML and JSON forms."""
