pragma Singleton
import QtQuick

// Colours, sizes and formatting helpers shared by every page (no protocol logic here).
QtObject {
    readonly property color background: "#f4f6f9"
    readonly property color surface: "#ffffff"
    readonly property color sidebar: "#1f2937"
    readonly property color sidebarText: "#e5e7eb"
    readonly property color sidebarSelected: "#374151"
    readonly property color text: "#111827"
    readonly property color mutedText: "#6b7280"
    readonly property color border: "#e5e7eb"
    readonly property color accent: "#2563eb"
    readonly property color good: "#16a34a"
    readonly property color bad: "#dc2626"
    readonly property color warning: "#d97706"
    readonly property color incoming: "#0891b2"
    readonly property color outgoing: "#7c3aed"
    readonly property color rowAlt: "#f9fafb"
    readonly property color selection: "#dbeafe"

    readonly property int spacing: 8
    readonly property int padding: 12
    readonly property int radius: 6
    readonly property int rowHeight: 28
    readonly property int fontSize: 13
    readonly property int smallFontSize: 11
    readonly property int titleFontSize: 20
    readonly property string monoFont: "monospace"

    function stateColor(stateText) {
        switch (stateText) {
        case "connected": return good
        case "connecting":
        case "reconnecting": return warning
        case "failed": return bad
        default: return mutedText
        }
    }

    function formatBytes(n) {
        if (n < 1024) return Math.round(n) + " B"
        if (n < 1024 * 1024) return (n / 1024).toFixed(1) + " KiB"
        return (n / 1024 / 1024).toFixed(1) + " MiB"
    }

    function formatDuration(seconds) {
        var s = Math.floor(seconds)
        var d = Math.floor(s / 86400); s -= d * 86400
        var h = Math.floor(s / 3600); s -= h * 3600
        var m = Math.floor(s / 60); s -= m * 60
        return (d > 0 ? d + "d " : "") + (h > 0 || d > 0 ? h + "h " : "") + m + "m " + s + "s"
    }
}
