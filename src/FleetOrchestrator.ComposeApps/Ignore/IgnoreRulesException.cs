namespace FleetOrchestrator.ComposeApps.Ignore;

/// <summary>An ignore rules file that cannot be used: too large, malformed, or discarding docker-compose.yml.</summary>
public sealed class IgnoreRulesException(string message) : Exception(message);
