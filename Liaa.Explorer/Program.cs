using Liaa.Explorer;

var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory, WebRootPath = "wwwroot" });
builder.AddServiceDefaults();
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton(sp => NodeDirectory.FromConfiguration(sp.GetRequiredService<IConfiguration>()));
builder.Services.AddSingleton<NodeReader>();
builder.Services.AddSingleton(sp => ExplorerLinks.FromConfiguration(sp.GetRequiredService<IConfiguration>()));

var app = builder.Build();
app.MapDefaultEndpoints();
app.UseDefaultFiles();
app.UseStaticFiles();
ExplorerApi.Map(app.MapGroup("/api"));
app.Run();
