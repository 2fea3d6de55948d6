"""Hand-over to the county archive (移交): batches, bags, forms and the 四性检测."""
