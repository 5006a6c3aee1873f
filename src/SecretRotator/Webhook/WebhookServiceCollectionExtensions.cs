using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SecretRotator.Webhook;

public static class WebhookServiceCollectionExtensions
{
    public const string PodsPath = "/mutate/v1/pods";
    public const string ServiceAccountsPath = "/mutate/v1/serviceaccounts";

    /// <summary>The webhook on top of the daemon: its services, and an HTTPS listener on <paramref name="port"/> serving the
    /// certificate in <paramref name="certFile"/> and <paramref name="keyFile"/> (loaded when the host is built).</summary>
    public static void AddSecretRotatorWebhook(this WebApplicationBuilder builder, int port, string certFile, string keyFile)
    {
        builder.Services.AddSingleton(sp => new WebhookCertificate(certFile, keyFile, sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<WebhookCertificate>>()));
        builder.Services.AddSingleton<StandbySecretCopier>();
        builder.Services.AddSingleton<IAdmissionSecretSource, DaemonAdmissionSource>();
        builder.Services.AddSingleton<AdmissionMutator>();
        builder.Services.AddSingleton<AdmissionHandler>();
        builder.WebHost.ConfigureKestrel(k => k.ListenAnyIP(port, listen =>
        {
            listen.Protocols = HttpProtocols.Http1AndHttp2;
            var certificate = new Lazy<WebhookCertificate>(() => k.ApplicationServices.GetRequiredService<WebhookCertificate>());
            listen.UseHttps(https => https.ServerCertificateSelector = (_, _) => certificate.Value.Current);
        }));
    }

    /// <summary>POST /mutate/v1/pods and /mutate/v1/serviceaccounts, answered only on the TLS listener.</summary>
    public static IEndpointRouteBuilder MapSecretRotatorWebhook(this IEndpointRouteBuilder endpoints)
    {
        var handler = endpoints.ServiceProvider.GetRequiredService<AdmissionHandler>();
        endpoints.MapPost(PodsPath, context => Serve(context, handler, AdmissionKind.Pod));
        endpoints.MapPost(ServiceAccountsPath, context => Serve(context, handler, AdmissionKind.ServiceAccount));
        return endpoints;
    }

    private static Task Serve(HttpContext context, AdmissionHandler handler, AdmissionKind kind)
    {
        // The metrics port is plain HTTP and reachable by anyone who can scrape: it does not take reviews.
        if (!context.Request.IsHttps)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }
        return handler.HandleAsync(context, kind);
    }
}
