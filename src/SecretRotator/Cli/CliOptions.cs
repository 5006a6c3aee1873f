using System.CommandLine;

namespace SecretRotator.Cli;

/// <summary>The command-line options, one set per invocation.</summary>
internal sealed class CliOptions
{
    public Option<string> Config { get; } = new("--config", "-c")
    {
        Description = "Path to the config YAML",
        DefaultValueFactory = _ => CliApp.DefaultConfigPath,
    };

    public Option<string?> Kubeconfig { get; } = new("--kubeconfig") { Description = "Path to a kubeconfig (default: KUBECONFIG, then in-cluster, then ~/.kube/config)" };
    public Option<string?> Context { get; } = new("--context") { Description = "kubeconfig context to use" };
    public Option<string[]> Namespace { get; } = new("--namespace", "-n") { Description = "Only these namespaces (repeatable)" };
    public Option<string?> Secret { get; } = new("--secret") { Description = "Only this secret target" };
    public Option<bool> DryRun { get; } = new("--dry-run") { Description = "Print what would be created, updated or left alone; write nothing" };
    public Option<bool> Force { get; } = new("--force") { Description = "Fetch tokens and write even when the stored token is still fresh" };
    public Option<int?> MetricsPort { get; } = new("--metrics-port") { Description = "Serve /metrics on this port while the run is in progress" };

    // daemon
    public Option<int> Port { get; } = new("--port") { Description = "Serve /healthz, /readyz and /metrics on this port", DefaultValueFactory = _ => 8080 };
    public Option<bool> LeaderElect { get; } = new("--leader-elect") { Description = "Hold a Lease so that only one replica writes (true|false)", DefaultValueFactory = _ => true };
    public Option<string> LeaseName { get; } = new("--lease-name") { Description = "Name of the coordination.k8s.io Lease", DefaultValueFactory = _ => "secret-rotator" };
    public Option<string?> LeaseNamespace { get; } = new("--lease-namespace") { Description = "Namespace of the Lease (default: POD_NAMESPACE, then the in-cluster namespace, then default)" };
}
