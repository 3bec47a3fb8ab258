"""Reports for people: the terminal table, Markdown, HTML and the trend chart."""
