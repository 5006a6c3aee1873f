namespace SecretRotator.Configuration;

/// <summary>Position of a node in the config file, kept so later checks can still name file and line.</summary>
public sealed record SourceLocation(string File, int Line, int Column, string Path)
{
    public override string ToString() => $"{File}:{Line}:{Column} ({Path})";
}

/// <summary>The whole validated config file.</summary>
public sealed record RotatorConfig(
    string File,
    IReadOnlyList<RegistryDefinition> Registries,
    IReadOnlyList<SecretTarget> Secrets,
    RotatorSettings Settings,
    MetricsSettings Metrics)
{
    public RegistryDefinition Registry(string name)
    {
        // An index loop (no enumerator): the planner looks up every due registry of every (secret, namespace).
        for (var i = 0; i < Registries.Count; i++)
        {
            if (Registries[i].Name == name) return Registries[i];
        }
        throw new InvalidOperationException($"no registry named {name}");
    }

    /// <summary>Located problems that do not stop the config from being used (printed by every command).</summary>
    public IReadOnlyList<ConfigError> Warnings { get; init; } = [];
}

/// <summary>A credential source. <see cref="Options"/> is the type-specific record its provider parsed.</summary>
public sealed record RegistryDefinition(string Name, string Type, object Options, SourceLocation Location)
{
    /// <summary>registries[].images: example image references users pull with this registry's credential (validate checks them).</summary>
    public IReadOnlyList<ImageHint> Images { get; init; } = [];
    /// <summary>registries[].schedule: a cron expression (daemon); the refresh also happens before expiry regardless.</summary>
    public Quartz.CronExpression? Schedule { get; init; }

    /// <summary>
    /// The options as the record the type's provider parsed. The loader stores exactly what that provider returned, so
    /// another record here is a wiring bug, not a config error; every typed reader goes through this one check.
    /// </summary>
    public TOptions OptionsAs<TOptions>() where TOptions : class => Options as TOptions
        ?? throw new InvalidOperationException($"registry {Name} (type {Type}) holds {Options.GetType().Name}, not {typeof(TOptions).Name}");
}

public sealed record SecretTarget(
    string Name,
    IReadOnlyList<string> Registries,
    NamespaceSelection Namespaces,
    IReadOnlyList<string> ServiceAccounts,
    SourceLocation Location);

/// <summary>names: exact or glob; selector: Kubernetes label selector sent to the API server; exclude: globs.</summary>
public sealed record NamespaceSelection(
    IReadOnlyList<string> Names,
    string? Selector,
    IReadOnlyList<string> Exclude)
{
    /// <summary>Only exact names: works with namespace-scoped RBAC, no namespace LIST needed.</summary>
    public bool IsExplicitOnly => Selector is null && Names.All(n => !Glob.IsPattern(n));

    /// <summary>Whether a namespace name passes <see cref="Names"/> (globs or exact names; none: any) and
    /// <see cref="Exclude"/>. The selector is the caller's to check: on the server, or against the namespace's labels.</summary>
    public bool AdmitsName(string ns) => (Names.Count == 0 || Glob.MatchesAny(Names, ns)) && !Glob.MatchesAny(Exclude, ns);
}

public sealed record RotatorSettings
{
    /// <summary>Client-side Kubernetes API rate limit (see Kubernetes/KubernetesRateLimit.cs for why these values).</summary>
    public const double DefaultQps = 50;
    public const int DefaultBurst = 100;

    public int Concurrency { get; init; } = 16;
    public TimeSpan RefreshBefore { get; init; } = TimeSpan.FromHours(1);
    public bool Verify { get; init; }
    public bool Adopt { get; init; }
    public bool Prune { get; init; }
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>Names this installation in the label secret-rotator.io/instance; prune only touches its own secrets.</summary>
    public string Instance { get; init; } = "default";
    /// <summary>How often the daemon re-reads static registries (a rotated password reaches the cluster without a restart).</summary>
    public TimeSpan StaticRefreshInterval { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>
    /// A configured service account missing in a namespace younger than this is pending, not failed: Kubernetes creates
    /// <c>default</c> a moment after its namespace, and the account's watch event (daemon) or the next run patches it.
    /// </summary>
    public TimeSpan ServiceAccountGracePeriod { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Kubernetes API requests per second, sustained; <see cref="Burst"/> may be sent at once.</summary>
    public double Qps { get; init; } = DefaultQps;
    public int Burst { get; init; } = DefaultBurst;
}

public sealed record MetricsSettings
{
    public Uri? PushgatewayUrl { get; init; }
    public string? Instance { get; init; }
}
