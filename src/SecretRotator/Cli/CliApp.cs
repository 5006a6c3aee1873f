using System.CommandLine;
using System.Runtime.InteropServices;
using Microsoft.Extensions.DependencyInjection;

namespace SecretRotator.Cli;

/// <summary>
/// The command line: run, daemon, render, validate. Exit codes: 0 all targets fine, 1 some target failed,
/// 2 bad config or usage. Tests call <see cref="RunAsync"/> with their own writers and service overrides.
/// </summary>
public sealed class CliApp(TextWriter stdout, TextWriter stderr, Action<IServiceCollection>? configureServices = null)
{
    public const int ExitOk = 0;
    public const int ExitFailed = 1;
    public const int ExitUsage = 2;
    public const string DefaultConfigPath = "/etc/secret-rotator/config.yaml";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken = default)
    {
        // Options are built per invocation: System.CommandLine mutates them when they join a command,
        // so sharing static instances between concurrent invocations (tests, daemon) is a data race.
        var o = new CliOptions();
        var root = new RootCommand("secret-rotator: keeps Kubernetes image pull secrets fresh");
        root.Subcommands.Add(Command("run", "One rotation pass, then exit (what the CronJob runs)",
            [o.Config, o.Kubeconfig, o.Context, o.Secret, o.Namespace, o.DryRun, o.Force, o.MetricsPort],
            (parse, ct) => new RunCommand(o, stdout, stderr, configureServices).ExecuteAsync(parse, ct)));
        root.Subcommands.Add(Command("render", "Print the Secret manifests as YAML (no cluster needed for explicit namespaces without {secret:} sources)",
            [o.Config, o.Kubeconfig, o.Context, o.Secret, o.Namespace],
            (parse, ct) => new RenderCommand(o, stdout, stderr, configureServices).ExecuteAsync(parse, ct)));
        root.Subcommands.Add(Command("daemon", "Run continuously: refresh each registry before its token expires, serve new namespaces at once, /metrics and health on --port",
            [o.Config, o.Kubeconfig, o.Context, o.Port, o.LeaderElect, o.LeaseName, o.LeaseNamespace],
            (parse, ct) => new DaemonCommand(o, stderr, configureServices).ExecuteAsync(parse, ct)));
        root.Subcommands.Add(Command("validate", "Check the config file and report every error with file, line and field",
            [o.Config],
            (parse, ct) => new ValidateCommand(o, stdout, stderr, configureServices).ExecuteAsync(parse, ct)));

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
