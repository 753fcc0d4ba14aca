using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;

namespace Liaa.ServiceDefaults;

/// <summary>Puts <see cref="HttpServerSpanMiddleware"/> in front of the whole application pipeline.</summary>
internal sealed class HttpServerSpanStartupFilter : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.UseMiddleware<HttpServerSpanMiddleware>();
        next(app);
    };
}
