"""The GitHub webhook receiver (`syncer hooks`): records refresh requests, never publishes data."""
