using Microsoft.AspNetCore.Routing;
namespace Liaa.Tests.TestSupport.Otlp;

internal static class OtlpReceiverExtensions
{
    /// <summary>Maps the receiver's endpoints (see <see cref="OtlpReceiver"/> for hosting it).</summary>
    public static TBuilder MapOtlpReceiver<TBuilder>(this TBuilder endpoints, OtlpReceiver receiver)
        where TBuilder : IEndpointRouteBuilder
    {
        ArgumentNullException.ThrowIfNull(receiver);
        receiver.Map(endpoints);
        return endpoints;
    }
}
