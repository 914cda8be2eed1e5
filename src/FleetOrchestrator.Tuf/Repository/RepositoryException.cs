namespace FleetOrchestrator.Tuf.Repository;

/// <summary>A repository operation refused; the state is unchanged.</summary>
public class RepositoryException(string message) : Exception(message);

/// <summary>Fewer private keys of a role are loaded than its threshold; sign offline instead.</summary>
public sealed class SigningKeysMissingException(string role, int loaded, int threshold, IEnumerable<string> missingKeyIds)
    : RepositoryException($"{role}: {loaded} of the {threshold} needed signing key(s) loaded; missing keyids: {string.Join(", ", missingKeyIds)}")
{
    public string Role { get; } = role;
}
