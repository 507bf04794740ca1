using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace Latchkey.EndToEnd.Tests;

/// <summary>
/// Debian's Chromium driven by its matching chromedriver through Selenium, headless, offline (no Selenium Manager
/// downloads), with a fresh profile. Screenshots go to artifacts/screenshots/ at the repository root.
/// </summary>
public sealed class HeadlessChromium : IDisposable
{
    private readonly string profile = Directory.CreateTempSubdirectory("latchkey-chromium-").FullName;

    public HeadlessChromium()
    {
        if (!File.Exists("/usr/bin/chromium") || !File.Exists("/usr/bin/chromedriver"))
        {
            Assert.False(string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase), "Chromium is missing; scripts/install-test-deps.sh installs it.");
            Assert.Skip("Install chromium and chromium-driver to run the browser tests.");
        }

        Environment.SetEnvironmentVariable("SE_OFFLINE", "true");
        var options = new ChromeOptions { BinaryLocation = "/usr/bin/chromium" };
        options.AddArguments(
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1100,900",
            "--user-data-dir=" + profile);
        var service = ChromeDriverService.CreateDefaultService("/usr/bin", "chromedriver");
        service.HideCommandPromptWindow = true;
        service.SuppressInitialDiagnosticInformation = true;
        Driver = new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
        Driver.Manage().Timeouts().PageLoad = TimeSpan.FromSeconds(30);
    }

    public ChromeDriver Driver { get; }

    public void Open(string url) => Driver.Navigate().GoToUrl(url);

    public void Fill(string id, string value)
    {
        var field = Wait(By.Id(id));
        field.Clear();
        field.SendKeys(value);
    }

    public void Click(By by) => Wait(by).Click();

    /// <summary>Emulates a viewport <paramref name="width"/> CSS pixels wide (390: a phone), and light or dark system colours.</summary>
    public void Viewport(int width, int height, bool dark = false)
    {
        Driver.ExecuteCdpCommand("Emulation.setDeviceMetricsOverride", new Dictionary<string, object?>
        {
            ["width"] = width, ["height"] = height, ["deviceScaleFactor"] = 1, ["mobile"] = width < 600,
        });
        Driver.ExecuteCdpCommand("Emulation.setEmulatedMedia", new Dictionary<string, object?>
        {
            ["features"] = new object[] { new Dictionary<string, object> { ["name"] = "prefers-color-scheme", ["value"] = dark ? "dark" : "light" } },
        });
    }

    /// <summary>The page's scroll width and the viewport's width: more of the first means a horizontal scrollbar.</summary>
    public (long ScrollWidth, long InnerWidth) Widths()
    {
        var r = (IReadOnlyCollection<object>)Driver.ExecuteScript("return [document.documentElement.scrollWidth, window.innerWidth];")!;
        return (Convert.ToInt64(r.First(), System.Globalization.CultureInfo.InvariantCulture), Convert.ToInt64(r.Last(), System.Globalization.CultureInfo.InvariantCulture));
    }

    public void Submit(string fieldId) => Wait(By.Id(fieldId)).Submit();

    public IWebElement Wait(By by)
        => new WebDriverWait(Driver, TimeSpan.FromSeconds(20)).Until(d => d.FindElements(by).FirstOrDefault(e => e.Displayed));

    public void WaitForText(string text)
        => new WebDriverWait(Driver, TimeSpan.FromSeconds(20)).Until(d => d.PageSource.Contains(text, StringComparison.Ordinal));

    public void Screenshot(string name)
    {
        var dir = Path.Combine(RepositoryPaths.Root, "artifacts", "screenshots");
        Directory.CreateDirectory(dir);
        Driver.GetScreenshot().SaveAsFile(Path.Combine(dir, name + ".png"));
    }

    public void Dispose()
    {
        Driver.Quit();
        Driver.Dispose();
        try
        {
            Directory.Delete(profile, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
