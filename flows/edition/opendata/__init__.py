"""The open-data package of an edition: its figure tables as CSV and XLSX, described by a datapackage.json."""
