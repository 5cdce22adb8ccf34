"""The case database: DuckDB records, content-addressed pixels, DICOM/PNG intake."""
