using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes;

namespace SecretRotator.Cli;

/// <summary>Builds the service provider for one command: appsettings.json + environment, logging to stderr.</summary>
internal static class CommandServices
{
    /// <summary>Timestamps are UTC and say so: ISO 8601 with a Z, the same in both formats.</summary>
    private const string TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";

    public static ServiceProvider Build(ParseResult parse, CliOptions o, Action<IServiceCollection>? configure, Func<string, string?> environment) =>
        Add(new ServiceCollection(), parse, o, configure, environment).BuildServiceProvider();

    /// <summary>The same services into an existing collection (the daemon's host).</summary>
    public static IServiceCollection Add(IServiceCollection services, ParseResult parse, CliOptions o, Action<IServiceCollection>? configure, Func<string, string?> environment)
    {
        AddLogging(services, parse, o, environment);
        var connection = new KubernetesConnectionOptions(
            parse.GetResult(o.Kubeconfig) is null ? null : parse.GetValue(o.Kubeconfig),
            parse.GetResult(o.Context) is null ? null : parse.GetValue(o.Context));
        services.AddSingleton(connection);
        services.AddSecretRotator();
        configure?.Invoke(services);
        return services;
    }

    /// <summary>
    /// The host configuration (appsettings.json + environment) and console logging on stderr, text or json: every
    /// command's, and credential-provider's with --verbose.
    /// </summary>
    public static IServiceCollection AddLogging(IServiceCollection services, ParseResult parse, CliOptions o, Func<string, string?> environment)
    {
        // Logging__LogLevel__Default (the .NET convention) and SECRET_ROTATOR_Logging__LogLevel__Default both
        // work; the prefixed one wins.
        var configuration = new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .AddEnvironmentVariables("SECRET_ROTATOR_")
            .Build();
        services.AddSingleton<IConfiguration>(configuration);
        var json = LogFormat(parse, o, environment) == "json";
        services.AddLogging(b =>
        {
            // Defaults below the configuration (which wins for the same category, e.g. Logging__LogLevel__Quartz=Information):
            // Quartz's start-up chatter (JobFactory, RAMJobStore, ...) is not ours to report; and the host's "Hosting failed
            // to start" repeats, with a stack trace, a failure the daemon already reports in one line (exit 2).
            b.AddFilter("Quartz", LogLevel.Warning);
            b.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
            b.AddConfiguration(configuration.GetSection("Logging"));
            // stdout carries the command's output (YAML, summary); logs go to stderr.
            if (json)
            {
                b.AddJsonConsole(f =>
                {
                    f.UseUtcTimestamp = true;
                    f.TimestampFormat = TimestampFormat.TrimEnd();
                    f.JsonWriterOptions = new JsonWriterOptions { Indented = false };
                });
            }
            else
            {
                b.AddSimpleConsole(f =>
                {
                    f.SingleLine = true;
                    f.UseUtcTimestamp = true;
                    f.TimestampFormat = TimestampFormat;
                });
            }
            b.Services.Configure<ConsoleLoggerOptions>(c => c.LogToStandardErrorThreshold = LogLevel.Trace);
        });
        return services;
    }

    /// <summary>--log-format, else SECRET_ROTATOR_LOG_FORMAT (the chart sets json), else text.</summary>
    private static string LogFormat(ParseResult parse, CliOptions o, Func<string, string?> environment) =>
        parse.GetValue(o.LogFormat) ?? (environment(CliOptions.LogFormatVariable)?.Trim().ToLowerInvariant() is "json" ? "json" : "text");

    /// <summary>Loads the config, printing every warning and error; null means exit 2.</summary>
    public static async Task<RotatorConfig?> LoadConfigAsync(IServiceProvider services, string? configPath, TextWriter stderr)
    {
        var path = configPath ?? CliApp.DefaultConfigPath;
        try
        {
            var config = services.GetRequiredService<ConfigLoader>().Load(path);
            await WriteWarningsAsync(config.Warnings, stderr);
            services.GetService<KubernetesRateLimit>()?.Configure(config.Settings.Qps, config.Settings.Burst);
            return config;
        }
        catch (ConfigException e)
        {
            await WriteWarningsAsync(e.Warnings, stderr);
            foreach (var error in e.Errors) await stderr.WriteLineAsync($"error: {error}");
            await stderr.WriteLineAsync($"{Count(e.Errors.Count, "error")} in {path}");
            return null;
        }
    }

    /// <summary>--secret must name a secret of the config in every command; false (exit 2) after saying which exist.</summary>
    public static async Task<bool> CheckSecretAsync(RotatorConfig config, string? only, TextWriter stderr)
    {
        if (only is null || config.Secrets.Any(s => s.Name == only)) return true;
        await stderr.WriteLineAsync($"error: --secret {only}: no such secret in {config.File} (known: {string.Join(", ", config.Secrets.Select(s => s.Name))})");
        return false;
    }

    /// <summary>"1 secret", "2 secrets".</summary>
    public static string Count(int n, string noun) =>
        n == 1 ? $"1 {noun}" : noun.EndsWith('y') ? $"{n} {noun[..^1]}ies" : $"{n} {noun}s";

    private static async Task WriteWarningsAsync(IReadOnlyList<ConfigError> warnings, TextWriter stderr)
    {
        foreach (var warning in warnings) await stderr.WriteLineAsync($"warning: {warning}");
    }
}
