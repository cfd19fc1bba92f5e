"""What every layer shares: settings, errors, result types, records, the vendor catalog."""
