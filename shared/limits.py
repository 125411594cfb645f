"""Field limits shared by everything that stores text from GitHub or from the extras file."""

MAX_DESCRIPTION = 4000  # GitHub allows 350; anything longer is cut, not refused
MAX_URL = 2000  # homepages and curated links
MAX_NAME = 100  # logins, repository names, language names, topics
MAX_PROFILE_URL = 500  # html_url and avatar_url columns
