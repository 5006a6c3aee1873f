using System.CommandLine;
using System.Reflection;
using System.Runtime.InteropServices;
using Microsoft.Extensions.DependencyInjection;
using SecretRotator.Rbac;

namespace SecretRotator.Cli;

/// <summary>
/// The command line: run, daemon, render, status, validate, rbac, explain, credential-provider. Exit codes: 0 all targets fine, 1 some target failed,
/// 2 bad config or usage (also: no command at all, after printing the help). Tests call <see cref="RunAsync"/>
/// with their own writers and service overrides; <paramref name="environment"/> stands in for the process
/// environment where the CLI reads it directly (SECRET_ROTATOR_LOG_FORMAT); <paramref name="stdin"/> for Console.In
/// (credential-provider reads kubelet's request there).
/// </summary>
public sealed class CliApp(TextWriter stdout, TextWriter stderr, Action<IServiceCollection>? configureServices = null, Func<string, string?>? environment = null, TextReader? stdin = null)
{
    public const int ExitOk = 0;
    public const int ExitFailed = 1;
    public const int ExitUsage = 2;
    public const string DefaultConfigPath = "/etc/secret-rotator/config.yaml";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken = default)
    {
        if (args is ["--version"])
        {
            await stdout.WriteLineAsync(VersionText());
            return ExitOk;
        }

        // Options are built per invocation: System.CommandLine mutates them when they join a command,
        // so sharing static instances between concurrent invocations (tests, daemon) is a data race.
        var o = new CliOptions();
        var env = environment ?? Environment.GetEnvironmentVariable;
        var root = new RootCommand("secret-rotator: keeps Kubernetes image pull secrets fresh");
        root.Options.Add(o.LogFormat);
        root.Subcommands.Add(Command("run", "One rotation pass, then exit (what the CronJob runs)",
            [o.Config, o.Kubeconfig, o.Context, o.Secret, o.Namespace, o.DryRun, o.Force, o.MetricsPort],
            (parse, ct) => new RunCommand(o, stdout, stderr, configureServices, env).ExecuteAsync(parse, ct)));
        root.Subcommands.Add(Command("render", "Print the Secrets that run would write (no cluster needed unless a label selector or a {secret:} source is used)",
            [o.Config, o.Kubeconfig, o.Context, o.Secret, o.Namespace, o.RenderOutput],
            (parse, ct) => new RenderCommand(o, stdout, stderr, configureServices, env).ExecuteAsync(parse, ct)));
        root.Subcommands.Add(Command("status", "List every expected and managed secret with its expiry and state (read-only; exit 1 if one is missing or expired)",
            [o.Config, o.Kubeconfig, o.Context, o.Output],
            (parse, ct) => new StatusCommand(o, stdout, stderr, configureServices, env).ExecuteAsync(parse, ct)));
        root.Subcommands.Add(Command("daemon", "Run continuously: refresh each registry before its token expires, serve new namespaces at once, /metrics and health on --port",
            [o.Config, o.Kubeconfig, o.Context, o.Port, o.LeaderElect, o.LeaseName, o.LeaseNamespace, o.Namespaced, o.WebhookPort, o.TlsCertFile, o.TlsPrivateKeyFile],
            (parse, ct) => new DaemonCommand(o, stderr, configureServices, env).ExecuteAsync(parse, ct)));
        root.Subcommands.Add(Command("validate", "Check the config file and report every error and warning with file, line and field",
            [o.Config],
            (parse, ct) => new ValidateCommand(o, stdout, stderr, configureServices, env).ExecuteAsync(parse, ct)));
        root.Subcommands.Add(Command("rbac", "Print the least-privilege Role/ClusterRole YAML a config needs (for installs without the Helm chart)",
            [o.Config, o.RbacScope, o.RbacDaemon, o.TypeRepair, o.ServiceAccount, o.ServiceAccountNamespace, o.RbacLeaseName],
            (parse, ct) => new RbacCommand(o, stdout, stderr, configureServices, env).ExecuteAsync(parse, ct)));
        root.Subcommands.Add(ExplainCommand.Create(o, stdout, stderr, configureServices, env));
        root.Subcommands.Add(CredentialProviderCommand.Create(o, stdin ?? Console.In, stdout, stderr, configureServices, env));

        var invocation = new InvocationConfiguration { Output = stdout, Error = stderr, ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false };
        if (args.Length == 0)
        {
            await root.Parse(["--help"]).InvokeAsync(invocation, cancellationToken);
            return ExitUsage;
        }
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            if (UnknownCommand(args, root) is { } unknown) await stderr.WriteLineAsync(unknown);
            else foreach (var error in parsed.Errors) await stderr.WriteLineAsync($"error: {error.Message}");
            await stderr.WriteLineAsync("Run 'secret-rotator --help' for usage.");
            return ExitUsage;
        }
        if (parsed.Action is null) return ExitUsage;

        // Our own signal handling: the library's default would force exit after 2s, which could cut an
        // in-flight write. We stop starting new writes and let the running ones finish.
        using var shutdown = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; shutdown.Cancel(); });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; shutdown.Cancel(); });
        return await parsed.InvokeAsync(invocation, shutdown.Token);
    }

    /// <summary>"secret-rotator 1.0.0 (commit abc…)": the commit is embedded at build time from git (SourceRevisionId).</summary>
    public static string VersionText()
    {
        var informational = typeof(CliApp).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
        var plus = informational.IndexOf('+', StringComparison.Ordinal);
        return plus < 0
            ? $"secret-rotator {informational} (commit unknown: built without git metadata)"
            : $"secret-rotator {informational[..plus]} (commit {informational[(plus + 1)..]})";
    }

    /// <summary>For a first word that is no command: the nearest command by edit distance, or the list of commands.</summary>
    private static string? UnknownCommand(string[] args, RootCommand root)
    {
        var word = args[0];
        if (word.StartsWith('-') || root.Subcommands.Any(c => c.Name == word)) return null;
        var names = root.Subcommands.Select(c => c.Name).ToList();
        var nearest = names.MinBy(n => EditDistance(n, word))!;
        return EditDistance(nearest, word) <= Math.Max(1, nearest.Length / 2)
            ? $"error: unknown command '{word}'; did you mean '{nearest}'?"
            : $"error: unknown command '{word}' (commands: {string.Join(", ", names)})";
    }

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps ("rnu" is 1 from "run").</summary>
    internal static int EditDistance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }
        return d[a.Length, b.Length];
    }

    private static Command Command(string name, string description, Option[] options, Func<ParseResult, CancellationToken, Task<int>> action)
    {
        var command = new Command(name, description);
        foreach (var o in options) command.Options.Add(o);
        command.SetAction(action);
        return command;
    }
}
