"""vendorintel: questions about AI vendors answered with cited evidence."""
