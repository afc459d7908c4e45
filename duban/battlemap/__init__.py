"""The battle map (挂图作战), the roadmap (路线图) and the public progress page."""
