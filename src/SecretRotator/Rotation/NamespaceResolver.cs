using k8s;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes.Lists;

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
        // A selector narrows on the server; names (globs) then filter locally. Without names, the selector alone decides.
        var candidates = selection.IsExplicitOnly ? selection.Names : await ListAsync(selection.Selector, cancellationToken);
        // A loop, not LINQ: a pass filters every listed namespace (10,000 and more) through this.
        var names = new List<string>(candidates.Count);
        foreach (var name in candidates)
        {
            if (selection.AdmitsName(name) && (only.Count == 0 || only.Contains(name))) names.Add(name);
        }
        // A LIST comes in key order, so usually there is nothing to sort or remove.
        return IsStrictlyAscending(names) ? names : names.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
    }

    private static bool IsStrictlyAscending(List<string> names)
    {
        for (var i = 1; i < names.Count; i++)
        {
            if (string.CompareOrdinal(names[i - 1], names[i]) >= 0) return false;
        }
        return true;
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
            var page = await PageAsync(selector, next, cancellationToken);
            names.AddRange(page.Names);
            next = page.Continue;
        } while (!string.IsNullOrEmpty(next));
        return names;
    }

    /// <summary>Names only where the client can list them so; any other client through the typed LIST.</summary>
    private async Task<NamespaceNamePage> PageAsync(string? selector, string? next, CancellationToken cancellationToken)
    {
        if (kubernetes is INamespaceNameLister lister) return await lister.ListNamespaceNamesAsync(selector, next, PageSize, cancellationToken);
        var list = await kubernetes.CoreV1.ListNamespaceAsync(labelSelector: selector, continueParameter: next, limit: PageSize, cancellationToken: cancellationToken);
        // A namespace being deleted cannot take new secrets.
        return new NamespaceNamePage([.. list.Items.Where(n => n.Status?.Phase != "Terminating").Select(n => n.Metadata.Name)], list.Metadata?.ContinueProperty);
    }

    private const int PageSize = 500;
}
