"""Later campaigns (工作阶段) such as 延包: their data imported as history beside 确权, the
certificates exchanged, and their progress."""
