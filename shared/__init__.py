"""What the syncer and the API share: settings, models, engines and migrations."""
