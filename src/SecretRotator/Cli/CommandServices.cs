using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes;

namespace SecretRotator.Cli;

/// <summary>Builds the service provider for one command: appsettings.json + environment, logging to stderr.</summary>
internal static class CommandServices
{
    public static ServiceProvider Build(ParseResult parse, CliOptions o, Action<IServiceCollection>? configure)
    {
        var configuration = new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables("SECRET_ROTATOR_")
            .Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging(b => b
            .AddConfiguration(configuration.GetSection("Logging"))
            // stdout carries the command's output (YAML, summary); logs go to stderr.
            .AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; })
            .Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
        var connection = new KubernetesConnectionOptions(
            parse.GetResult(o.Kubeconfig) is null ? null : parse.GetValue(o.Kubeconfig),
            parse.GetResult(o.Context) is null ? null : parse.GetValue(o.Context));
        services.AddSingleton(connection);
        services.AddSecretRotator();
        configure?.Invoke(services);
        return services.BuildServiceProvider();
    }

    /// <summary>Loads the config, printing every error; null means exit 2.</summary>
    public static async Task<RotatorConfig?> LoadConfigAsync(IServiceProvider services, string? configPath, TextWriter stderr)
    {
        var path = configPath ?? CliApp.DefaultConfigPath;
        try
        {
            var config = services.GetRequiredService<ConfigLoader>().Load(path);
            services.GetService<KubernetesRateLimit>()?.Configure(config.Settings.Qps, config.Settings.Burst);
            return config;
        }
        catch (ConfigException e)
        {
            foreach (var error in e.Errors) await stderr.WriteLineAsync($"error: {error}");
            await stderr.WriteLineAsync($"{e.Errors.Count} error(s) in {path}");
            return null;
        }
    }
}
