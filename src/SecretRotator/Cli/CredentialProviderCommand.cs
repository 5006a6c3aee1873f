using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SecretRotator.Configuration;
using SecretRotator.CredentialProvider;

namespace SecretRotator.Cli;

/// <summary>
/// <c>credential-provider --config F</c>: a kubelet image credential provider plugin (credentialprovider.kubelet.k8s.io/v1).
/// One CredentialProviderRequest on stdin, one CredentialProviderResponse on stdout, exit 0. On any failure: exit 1
/// (2 for a bad config), one line on stderr, nothing on stdout, so kubelet logs the cause and falls back to other
/// credentials. Logs are off unless --verbose: kubelet folds stderr into its own error line.
/// </summary>
internal sealed class CredentialProviderCommand(CliOptions o, CredentialProviderCommand.Options c, TextReader stdin, TextWriter stdout, TextWriter stderr,
    Action<IServiceCollection>? configure, Func<string, string?> environment)
{
    internal sealed class Options
    {
        public Option<bool> Verbose { get; } = new("--verbose") { Description = "Log each step on stderr (for a person running it by hand; never the credential)" };
        public Option<string> BinDir { get; } = new("--bin-dir") { Description = "kubelet's --image-credential-provider-bin-dir (through a host mount)", Required = true };
        public Option<string> Name { get; } = new("--name") { Description = "File name in --bin-dir: the provider's name in the CredentialProviderConfig", DefaultValueFactory = _ => "secret-rotator" };
        public Option<string?> ConfigSource { get; } = new("--config-source") { Description = "A config file to copy to --config-path as well" };
        public Option<string?> ConfigPath { get; } = new("--config-path") { Description = "Where the plugin's --config points on the node (through a host mount)" };
        public Option<bool> Wait { get; } = new("--wait") { Description = "After installing, stay up until SIGTERM (a DaemonSet's pod must keep running)" };
    }

    public static Command Create(CliOptions o, TextReader stdin, TextWriter stdout, TextWriter stderr, Action<IServiceCollection>? configure, Func<string, string?> environment)
    {
        var c = new Options();
        var command = new Command("credential-provider", "kubelet image credential provider plugin: a CredentialProviderRequest on stdin, the CredentialProviderResponse on stdout (secrets: optional)");
        command.Options.Add(o.Config);
        command.Options.Add(c.Verbose);
        command.SetAction((parse, ct) => new CredentialProviderCommand(o, c, stdin, stdout, stderr, configure, environment).ExecuteAsync(parse, ct));

        var install = new Command("install", "Copy this executable (and --config-source) onto the node through host mounts: what the chart's installer DaemonSet runs");
        foreach (var option in new Option[] { c.BinDir, c.Name, c.ConfigSource, c.ConfigPath, c.Wait }) install.Options.Add(option);
        install.SetAction((parse, ct) => new CredentialProviderCommand(o, c, stdin, stdout, stderr, configure, environment).InstallAsync(parse, ct));
        command.Subcommands.Add(install);
        return command;
    }

    private async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var verbose = parse.GetValue(c.Verbose);
        // Its own small container, not run's (kubelet pays its start-up on every uncached pull): no host
        // configuration, no logging provider unless --verbose (kubelet folds stderr into its own error line).
        var collection = new ServiceCollection();
        if (verbose) CommandServices.AddLogging(collection, parse, o, environment);
        collection.AddCredentialProvider();
        configure?.Invoke(collection);
        collection.AddLogging(b =>
        {
            if (verbose) b.SetMinimumLevel(LogLevel.Debug);
            else b.ClearProviders();
        });
        await using var services = collection.BuildServiceProvider();

        var path = parse.GetValue(o.Config) ?? CliApp.DefaultConfigPath;
        RotatorConfig config;
        try
        {
            config = services.GetRequiredService<ConfigLoader>().Load(path, requireSecrets: false);
        }
        catch (ConfigException e)
        {
            var more = e.Errors.Count > 1 ? $" (and {e.Errors.Count - 1} more: secret-rotator validate --config {path})" : "";
            await stderr.WriteLineAsync($"error: {e.Errors[0]}{more}");
            return CliApp.ExitUsage;
        }

        try
        {
            var request = await stdin.ReadToEndAsync(cancellationToken);
            var response = await services.GetRequiredService<CredentialProviderService>().ServeAsync(config, request, cancellationToken);
            // Written only once whole: kubelet must never read half a response.
            await stdout.WriteLineAsync(JsonSerializer.Serialize(response, CredentialProviderJson.Default.CredentialProviderResponse));
            await stdout.FlushAsync(cancellationToken);
            return CliApp.ExitOk;
        }
        catch (CredentialProviderException e)
        {
            await stderr.WriteLineAsync($"error: {OneLine(e.Message)}");
            return CliApp.ExitFailed;
        }
    }

    private async Task<int> InstallAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        try
        {
            var written = await NodeInstaller.InstallAsync(Environment.ProcessPath, parse.GetValue(c.BinDir)!, parse.GetValue(c.Name)!, parse.GetValue(c.ConfigSource), parse.GetValue(c.ConfigPath), cancellationToken);
            await stdout.WriteLineAsync($"installed {string.Join(", ", written)}");
            await stdout.FlushAsync(cancellationToken);
        }
        catch (CredentialProviderException e)
        {
            await stderr.WriteLineAsync($"error: {OneLine(e.Message)}");
            return CliApp.ExitFailed;
        }
        if (!parse.GetValue(c.Wait)) return CliApp.ExitOk;
        try
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // SIGTERM: the files stay on the node; kubelet keeps using them.
        }
        return CliApp.ExitOk;
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ");
}
