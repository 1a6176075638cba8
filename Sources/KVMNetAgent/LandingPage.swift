/// The HTML at `/`, linking to the metrics, the diagnosis and the health check.
enum LandingPage {
    static func html(telemetryPath: String, version: String) -> String {
        """
        <!DOCTYPE html>
        <html><head><meta charset="utf-8"><title>kvmnet-agent</title></head>
        <body>
        <h1>kvmnet-agent</h1>
        <p>Prometheus exporter for the networking of KVM hosts: bonds, VLANs, bridges, VM taps. Version \(version).</p>
        <ul>
        <li><a href="\(telemetryPath)">Metrics</a></li>
        <li><a href="/diagnose">Diagnosis (JSON)</a></li>
        <li><a href="/-/healthy">Health</a></li>
        </ul>
        </body></html>

        """
    }
}
