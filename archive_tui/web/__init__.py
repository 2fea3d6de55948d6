"""The app in a browser (``archive-tui serve``): logins, the web server, one app process per tab."""
