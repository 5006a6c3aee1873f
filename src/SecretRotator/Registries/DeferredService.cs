using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace SecretRotator.Registries;

/// <summary>
/// <see cref="Lazy{T}"/> from the container. Every registry provider is built whenever the config is read (the
/// loader asks each for its options parser), so the cloud providers take their SDK-backed services as
/// <c>Lazy&lt;T&gt;</c>: a config without that registry type never loads the AWS, Azure or Google assemblies
/// (start-up: docs/performance.md).
/// </summary>
public sealed class DeferredService<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] T>(IServiceProvider services) : Lazy<T>(services.GetRequiredService<T>)
    where T : notnull;

public static class DeferredServiceCollectionExtensions
{
    /// <summary>Lets any registered service be injected as <c>Lazy&lt;T&gt;</c>.</summary>
    public static IServiceCollection AddDeferredServices(this IServiceCollection services)
    {
        services.TryAddTransient(typeof(Lazy<>), typeof(DeferredService<>));
        return services;
    }
}
