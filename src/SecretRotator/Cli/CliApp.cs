using System.CommandLine;
using System.Runtime.InteropServices;
using Microsoft.Extensions.DependencyInjection;

namespace SecretRotator.Cli;

/// <summary>
/// The command line: run, render, validate. Exit codes: 0 all targets fine, 1 some target failed,
/// 2 bad config or usage. Tests call <see cref="RunAsync"/> with their own writers and service overrides.
/// </summary>
public sealed class CliApp(TextWriter stdout, TextWriter stderr, Action<IServiceCollection>? configureServices = null)
{
    public const int ExitOk = 0;
    public const int ExitFailed = 1;
    public const int ExitUsage = 2;
    public const string DefaultConfigPath = "/etc/secret-rotator/config.yaml";

    internal static readonly Option<string> Config = new("--config", "-c")
    {
        Description = "Path to the config YAML",
        DefaultValueFactory = _ => DefaultConfigPath,
    };
    internal static readonly Option<string?> Kubeconfig = new("--kubeconfig") { Description = "Path to a kubeconfig (default: KUBECONFIG, then in-cluster, then ~/.kube/config)" };
    internal static readonly Option<string?> Context = new("--context") { Description = "kubeconfig context to use" };
    internal static readonly Option<string[]> Namespace = new("--namespace", "-n") { Description = "Only these namespaces (repeatable)", AllowMultipleArgumentsPerToken = false };
    internal static readonly Option<string?> Secret = new("--secret") { Description = "Only this secret target" };
    internal static readonly Option<bool> DryRun = new("--dry-run") { Description = "Print what would be created, updated or left alone; write nothing" };
    internal static readonly Option<bool> Force = new("--force") { Description = "Fetch tokens and write even when the stored token is still fresh" };
    internal static readonly Option<int?> MetricsPort = new("--metrics-port") { Description = "Serve /metrics on this port while the run is in progress" };

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken = default)
    {
        var root = new RootCommand("secret-rotator: keeps Kubernetes image pull secrets fresh");
        root.Subcommands.Add(Command("run", "One rotation pass, then exit (what the CronJob runs)",
            [Config, Kubeconfig, Context, Secret, Namespace, DryRun, Force, MetricsPort],
            (parse, ct) => new RunCommand(stdout, stderr, configureServices).ExecuteAsync(parse, ct)));
        root.Subcommands.Add(Command("render", "Print the Secret manifests as YAML (no cluster needed for explicit namespaces without {secret:} sources)",
            [Config, Kubeconfig, Context, Secret, Namespace],
            (parse, ct) => new RenderCommand(stdout, stderr, configureServices).ExecuteAsync(parse, ct)));
        root.Subcommands.Add(Command("validate", "Check the config file and report every error with file, line and field",
            [Config],
            (parse, ct) => new ValidateCommand(stdout, stderr, configureServices).ExecuteAsync(parse, ct)));

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors) await stderr.WriteLineAsync(error.Message);
            await stderr.WriteLineAsync("Run 'secret-rotator --help' for usage.");
            return ExitUsage;
        }
        if (parsed.Action is null) return ExitUsage;

        // Our own signal handling: the library's default would force exit after 2s, which could cut an
        // in-flight write. We stop starting new writes and let the running ones finish.
        using var shutdown = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; shutdown.Cancel(); });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; shutdown.Cancel(); });
        var invocation = new InvocationConfiguration { Output = stdout, Error = stderr, ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false };
        return await parsed.InvokeAsync(invocation, shutdown.Token);
    }

    private static Command Command(string name, string description, Option[] options, Func<ParseResult, CancellationToken, Task<int>> action)
    {
        var command = new Command(name, description);
        foreach (var o in options) command.Options.Add(o);
        command.SetAction(action);
        return command;
    }
}
