using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SecretRotator.Configuration;

/// <summary>Parses and validates the config file; every problem is collected and thrown together.</summary>
public sealed partial class ConfigLoader(IEnumerable<IRegistryOptionsParser> registryTypes)
{
    private readonly Dictionary<string, IRegistryOptionsParser> _providers = registryTypes.ToDictionary(p => p.Type, StringComparer.Ordinal);

    // \z, not $: '$' also matches before a final newline, so "name\n" (a YAML block scalar) would pass.
    [GeneratedRegex("^[A-Za-z0-9._:-]{1,128}\\z")]
    private static partial Regex PushgatewayInstance();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\\z")]
    private static partial Regex RegistryName();

    // Secret and service account names are DNS-1123 subdomains.
    [GeneratedRegex("^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\\z")]
    private static partial Regex ObjectName();

    /// <summary>Config files are a few KiB; the cap bounds memory and time for hostile or mistaken input.</summary>
    public const int MaxBytes = 1024 * 1024;

    /// <param name="requireSecrets">False for credential-provider, which serves kubelet directly and writes no Secret:
    /// <c>secrets:</c> may then be absent or empty; when present it is still validated, so one file serves both ways.</param>
    public RotatorConfig Load(string file, bool requireSecrets = true)
    {
        string text;
        try
        {
            // Checked before reading so a huge file (a wrong path, a log) is not read into memory.
            if (new FileInfo(file).Length > MaxBytes)
                throw new ConfigException([new ConfigError(file, 0, 0, "", $"config file is larger than {MaxBytes} bytes")]);
            text = File.ReadAllText(file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException([new ConfigError(file, 0, 0, "", $"cannot read config file: {ex.Message}")]);
        }
        return Parse(text, file, requireSecrets);
    }

    public RotatorConfig Parse(string text, string file, bool requireSecrets = true)
    {
        var errors = new ConfigErrors(file);
        if (text.Length > MaxBytes)
            throw new ConfigException([new ConfigError(file, 0, 0, "", $"config is larger than {MaxBytes} characters")]);
        // File.ReadAllText drops a BOM, but text from elsewhere may keep it and YamlDotNet would make it part of the first key.
        text = text.TrimStart('\uFEFF');
        // The guard reports syntax errors and duplicate keys with their paths and stops input that would crash or
        // hang the loader; duplicate keys alone do not stop validation (the first one counts).
        if (!YamlGuard.Check(text, errors)) throw new ConfigException(errors.Items);
        YamlStream stream;
        try
        {
            stream = YamlGuard.Load(text);
        }
        catch (YamlException ex)
        {
            // Not expected after the guard; still reported with its position rather than crashing.
            var line = (int)Math.Max(1, Math.Min(ex.Start.Line, int.MaxValue));
            var column = (int)Math.Max(1, Math.Min(ex.Start.Column, int.MaxValue));
            throw new ConfigException([.. errors.Items, new ConfigError(file, line, column, ConfigError.TopLevel, $"invalid YAML: {ex.Message}")]);
        }
        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode rootNode)
            throw new ConfigException([.. errors.Items, new ConfigError(file, 1, 1, ConfigError.TopLevel, "the config must be one YAML mapping with registries, secrets and settings")]);

        var root = new ConfigMap(rootNode, "", errors);
        var declared = new HashSet<string>(StringComparer.Ordinal);
        var registries = ParseRegistries(root, declared);
        var secrets = ParseSecrets(root, declared, requireSecrets);
        var settings = ParseSettings(root.GetMap("settings"));
        var metrics = ParseMetrics(root.GetMap("metrics"));
        root.RejectUnknownKeys();

        if (errors.Any) throw new ConfigException(errors.Items, errors.Warnings);
        return new RotatorConfig(file, registries, secrets, settings, metrics) { Warnings = errors.Warnings };
    }

    private List<RegistryDefinition> ParseRegistries(ConfigMap root, HashSet<string> declared)
    {
        var result = new List<RegistryDefinition>();
        foreach (var (entry, index) in Items(root, "registries", required: true))
        {
            var name = entry.GetString("name", required: true);
            var type = entry.GetString("type", required: true);
            if (name is not null && !RegistryName().IsMatch(name))
                entry.Error("name", "must be lowercase letters, digits and '-' (at most 63), starting and ending with a letter or digit");
            // Every declared name counts, even of an entry with other errors, so duplicates and references are judged right.
            else if (name is not null && !declared.Add(name))
                entry.Error("name", $"duplicate registry name '{name}'");

            if (type is null) continue;
            if (!_providers.TryGetValue(type, out var provider))
            {
                entry.Error("type", $"unknown registry type '{type}' (known: {string.Join(", ", _providers.Keys.Order(StringComparer.Ordinal))})");
                // The type's fields are unknown, but its sources are still checked: an unset variable or a missing
                // file would be the next error the user meets after fixing the type.
                foreach (var key in entry.Keys.Where(entry.IsValueSource).ToList()) entry.GetValueSource(key, allowLiteral: true);
                continue;
            }
            var options = provider.ParseOptions(entry);
            var images = ImageHint.ParseList(entry);
            var schedule = ParseSchedule(entry);
            entry.RejectUnknownKeys();
            if (name is not null) result.Add(new RegistryDefinition(name, type, options, entry.Location) { Images = images, Schedule = schedule });
        }
        return result;
    }

    private static Quartz.CronExpression? ParseSchedule(ConfigMap entry)
    {
        if (entry.GetString("schedule") is not { } text) return null;
        var (expression, problem) = CronSchedule.Parse(text);
        if (problem is not null) entry.Error("schedule", problem);
        return expression;
    }

    private static List<SecretTarget> ParseSecrets(ConfigMap root, HashSet<string> registries, bool required)
    {
        var result = new List<SecretTarget>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (entry, index) in Items(root, "secrets", required))
        {
            var name = entry.GetString("name", required: true);
            if (name is not null && !ObjectName().IsMatch(name))
                entry.Error("name", "must be a valid Secret name (lowercase letters, digits, '-' and '.')");
            else if (name is not null && !seen.Add(name))
                entry.Error("name", $"duplicate secret name '{name}'");

            var names = entry.GetStringList("registries", required: true);
            var registriesNode = entry.Node("registries") as YamlSequenceNode;
            for (var i = 0; i < names.Count; i++)
            {
                if (registries.Contains(names[i])) continue;
                var at = registriesNode is not null && i < registriesNode.Children.Count ? registriesNode.Children[i] : null;
                if (at is not null) entry.ErrorAt(at, $"{entry.Child("registries")}[{i}]", $"unknown registry '{names[i]}'");
                else entry.Error("registries", $"unknown registry '{names[i]}'");
            }
            if (names.Distinct(StringComparer.Ordinal).Count() != names.Count) entry.Error("registries", "lists a registry twice");

            var namespaces = ParseNamespaces(entry.GetMap("namespaces", required: true));
            var accounts = entry.GetStringList("serviceAccounts");
            foreach (var account in accounts.Where(a => !ObjectName().IsMatch(a)))
                entry.Error("serviceAccounts", $"'{account}' is not a valid service account name");
            entry.RejectUnknownKeys();
            if (name is not null && namespaces is not null)
                result.Add(new SecretTarget(name, names, namespaces, accounts, entry.Location));
        }
        return result;
    }

    private static NamespaceSelection? ParseNamespaces(ConfigMap? map)
    {
        if (map is null) return null;
        var names = map.GetStringList("names");
        var selector = map.GetString("selector");
        var exclude = map.GetStringList("exclude");
        CheckGlobs(map, "names", names);
        CheckGlobs(map, "exclude", exclude);
        if (selector is not null && LabelSelector.Validate(selector) is { } problem)
            map.Error("selector", $"invalid label selector: {problem}");
        if (names.Count == 0 && selector is null)
            map.Error("names", "give at least one namespace name or glob, or a selector");
        map.RejectUnknownKeys();
        return new NamespaceSelection(names, selector, exclude);
    }

    private static void CheckGlobs(ConfigMap map, string key, IReadOnlyList<string> globs)
    {
        var node = map.Node(key) as YamlSequenceNode;
        for (var i = 0; i < globs.Count; i++)
        {
            if (Glob.Validate(globs[i]) is not { } problem) continue;
            if (node is not null && i < node.Children.Count) map.ErrorAt(node.Children[i], $"{map.Child(key)}[{i}]", $"invalid namespace glob '{globs[i]}': {problem}");
            else map.Error(key, $"invalid namespace glob '{globs[i]}': {problem}");
        }
    }

    private static RotatorSettings ParseSettings(ConfigMap? map)
    {
        var defaults = new RotatorSettings();
        if (map is null) return defaults;
        var settings = new RotatorSettings
        {
            Concurrency = map.GetInt("concurrency", defaults.Concurrency, 1, 256),
            RefreshBefore = map.GetDuration("refreshBefore", defaults.RefreshBefore, TimeSpan.FromDays(7)),
            Verify = map.GetBool("verify", defaults.Verify),
            Adopt = map.GetBool("adopt", defaults.Adopt),
            Prune = map.GetBool("prune", defaults.Prune),
            Timeout = map.GetDuration("timeout", defaults.Timeout, TimeSpan.FromHours(6)),
            Instance = map.GetString("instance") ?? defaults.Instance,
            StaticRefreshInterval = map.GetDuration("staticRefreshInterval", defaults.StaticRefreshInterval, TimeSpan.FromDays(1)),
            ServiceAccountGracePeriod = map.GetDuration("serviceAccountGracePeriod", defaults.ServiceAccountGracePeriod, TimeSpan.FromHours(1)),
            Qps = map.GetNumber("qps", defaults.Qps, 0.01, 100_000),
            Burst = map.GetInt("burst", defaults.Burst, 1, 100_000),
        };
        if (settings.StaticRefreshInterval < TimeSpan.FromSeconds(10)) map.Error("staticRefreshInterval", "must be at least 10s");
        if (settings.Timeout == TimeSpan.Zero) map.Error("timeout", "must be greater than zero");
        if (!RegistryName().IsMatch(settings.Instance))
            map.Error("instance", "must be lowercase letters, digits and '-' (at most 63), starting and ending with a letter or digit");
        map.RejectUnknownKeys();
        return settings;
    }

    private static MetricsSettings ParseMetrics(ConfigMap? map)
    {
        if (map is null) return new MetricsSettings();
        Uri? url = null;
        var push = map.GetMap("pushgateway");
        string? instance = null;
        if (push is not null)
        {
            var text = push.GetString("url", required: true);
            if (text is not null && (!Uri.TryCreate(text, UriKind.Absolute, out url) || url.Scheme is not ("http" or "https")))
            {
                push.Error("url", "must be an absolute http(s) URL");
                url = null;
            }
            instance = push.GetString("instance");
            // The Pushgateway grouping key value: a readable, stable word (cluster name, pod, host:port).
            if (instance is not null && !PushgatewayInstance().IsMatch(instance))
            {
                push.Error("instance", "must be 1-128 characters of letters, digits, '.', '_', ':' and '-'");
                instance = null;
            }
            push.RejectUnknownKeys();
        }
        map.RejectUnknownKeys();
        return new MetricsSettings { PushgatewayUrl = url, Instance = instance };
    }

    /// <summary>The mappings of a list such as registries[] or secrets[], each with its indexed path.</summary>
    private static IEnumerable<(ConfigMap Map, int Index)> Items(ConfigMap root, string key, bool required)
    {
        var node = root.Node(key);
        if (node is null || ConfigMap.IsNull(node))
        {
            if (required) root.Error(key, "is required");
            yield break;
        }
        if (node is not YamlSequenceNode seq)
        {
            root.ErrorAt(node, key, "must be a list");
            yield break;
        }
        if (required && seq.Children.Count == 0) root.ErrorAt(node, key, "must not be empty");
        for (var i = 0; i < seq.Children.Count; i++)
        {
            if (seq.Children[i] is YamlMappingNode map) yield return (new ConfigMap(map, $"{key}[{i}]", root.Errors), i);
            else root.ErrorAt(seq.Children[i], $"{key}[{i}]", "must be a mapping");
        }
    }
}
