"""The FIR brochure generator: from an agency's yearly figures to its printed annual report."""

__version__ = "0.1.0"
