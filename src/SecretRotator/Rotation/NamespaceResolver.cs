using k8s;
using SecretRotator.Configuration;

namespace SecretRotator.Rotation;

/// <summary>
/// Turns a target's namespace selection into namespace names. Explicit names are used as they are (so
/// namespace-scoped RBAC suffices); globs and selectors need one LIST per distinct selector, cached for the run.
/// </summary>
public sealed class NamespaceResolver(IKubernetes kubernetes)
{
    private readonly Dictionary<string, Task<IReadOnlyList<string>>> _lists = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public async Task<IReadOnlyList<string>> ResolveAsync(NamespaceSelection selection, IReadOnlyList<string> only, CancellationToken cancellationToken)
    {
        IEnumerable<string> names;
        if (selection.IsExplicitOnly)
        {
            names = selection.Names;
        }
        else
        {
            // A selector narrows on the server; names (globs) then filter locally. Without names, the selector alone decides.
            var listed = await ListAsync(selection.Selector, cancellationToken);
            names = selection.Names.Count == 0 ? listed : listed.Where(n => selection.Names.Any(g => Glob.IsMatch(g, n)));
        }
        return names
            .Where(n => !selection.Exclude.Any(g => Glob.IsMatch(g, n)))
            .Where(n => only.Count == 0 || only.Contains(n, StringComparer.Ordinal))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// Names written out exactly in <c>names</c> that the selector does not select (names and selector are ANDed),
    /// within --namespace and not excluded: skipped, and worth a warning since the user named them. Uses the
    /// cached LIST of <see cref="ResolveAsync"/>.
    /// </summary>
    public async Task<IReadOnlyList<string>> DroppedBySelectorAsync(NamespaceSelection selection, IReadOnlyList<string> only, CancellationToken cancellationToken)
    {
        if (selection.Selector is null) return [];
        var exact = selection.Names
            .Where(n => !Glob.IsPattern(n) && !selection.Exclude.Any(g => Glob.IsMatch(g, n)))
            .Where(n => only.Count == 0 || only.Contains(n, StringComparer.Ordinal))
            .ToList();
        if (exact.Count == 0) return [];
        var listed = await ListAsync(selection.Selector, cancellationToken);
        return [.. exact.Where(n => !listed.Contains(n, StringComparer.Ordinal)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
    }

    private Task<IReadOnlyList<string>> ListAsync(string? selector, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var key = selector ?? "";
            if (!_lists.TryGetValue(key, out var task))
                _lists[key] = task = FetchAsync(selector, cancellationToken);
            return task;
        }
    }

    private async Task<IReadOnlyList<string>> FetchAsync(string? selector, CancellationToken cancellationToken)
    {
        var names = new List<string>();
        string? next = null;
        do
        {
            var page = await kubernetes.CoreV1.ListNamespaceAsync(labelSelector: selector, continueParameter: next, limit: 500, cancellationToken: cancellationToken);
            // A namespace being deleted cannot take new secrets.
            names.AddRange(page.Items.Where(n => n.Status?.Phase != "Terminating").Select(n => n.Metadata.Name));
            next = page.Metadata?.ContinueProperty;
        } while (!string.IsNullOrEmpty(next));
        return names;
    }
}
