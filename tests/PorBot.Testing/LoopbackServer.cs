using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PorBot.Testing;

/// <summary>
/// A real Kestrel server on 127.0.0.1 with a free port, for the fakes that stand in for Microsoft's cloud:
/// the code under test talks real HTTP to it.
/// </summary>
public static class LoopbackServer
{
    /// <param name="create">Builds the fake around the app and maps its endpoints, before the server starts.</param>
    /// <returns>The fake and the server's root URL, without a trailing slash.</returns>
    public static Task<(T Server, string RootUrl)> StartAsync<T>(Func<WebApplication, T> create, CancellationToken cancellationToken = default) =>
        StartAsync(create, certificate: null, cancellationToken);

    /// <param name="certificate">Serve https with this certificate (see <see cref="LoopbackCertificate"/>); plain http when null.</param>
    public static async Task<(T Server, string RootUrl)> StartAsync<T>(Func<WebApplication, T> create, X509Certificate2? certificate,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(create);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(LoopbackServer).Assembly.GetName().Name,
            EnvironmentName = "Development",
        });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, listen =>
        {
            if (certificate is not null) listen.UseHttps(certificate);
        }));
        var app = builder.Build();
        var server = create(app);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return (server, address.TrimEnd('/'));
    }
}

/// <summary>
/// A throwaway self-signed certificate for https://127.0.0.1 (and localhost), for fakes that must speak https, such as
/// a token endpoint MSAL will talk to. Another process trusts it when its <c>SSL_CERT_FILE</c> points at <see cref="WritePem"/>'s file.
/// </summary>
public static class LoopbackCertificate
{
    public static X509Certificate2 Create()
    {
        using var key = System.Security.Cryptography.RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        // Through PFX, so Kestrel gets a certificate whose private key it can use on every platform.
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pfx), null);
    }

    /// <summary>Writes the certificate (public part only) as PEM to <paramref name="path"/> and returns the path.</summary>
    public static string WritePem(X509Certificate2 certificate, string path)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        File.WriteAllText(path, certificate.ExportCertificatePem());
        return path;
    }
}
