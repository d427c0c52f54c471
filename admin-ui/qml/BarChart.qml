import QtQuick
import QtQuick.Controls

// Grouped bar chart of a ChartSeries (60 slots of 10 s), painted on a Canvas.
// series: role names to draw side by side; colors: one per series.
Rectangle {
    id: chart
    property var model: null
    property var series: ["connections", "disconnections"]
    property var colors: [Theme.good, Theme.bad]
    property var labels: ["connections", "disconnections"]
    property string title
    property bool bytes: false
    property real maxValue: 1

    radius: Theme.radius
    color: Theme.surface
    border.color: Theme.border
    implicitHeight: 200

    function refresh() {
        if (!model) return
        var m = bytes ? model.maxBytes : model.maxConnections
        maxValue = Math.max(bytes ? 1024 : 5, m)
        canvas.requestPaint()
    }

    Connections {
        target: chart.model
        function onValuesChanged() { chart.refresh() }
    }
    Component.onCompleted: refresh()
    onWidthChanged: canvas.requestPaint()

    Label {
        id: titleLabel
        x: Theme.padding; y: Theme.padding / 2
        text: chart.title
        font.bold: true
        color: Theme.text
    }
    Row {
        anchors.right: parent.right; anchors.rightMargin: Theme.padding
        y: Theme.padding / 2
        spacing: 12
        Repeater {
            model: chart.series.length
            Row {
                spacing: 4
                Rectangle { width: 10; height: 10; color: chart.colors[index]; anchors.verticalCenter: parent.verticalCenter }
                Label { text: chart.labels[index]; color: Theme.mutedText; font.pixelSize: Theme.smallFontSize }
            }
        }
    }
    Label {
        x: Theme.padding; y: titleLabel.y + titleLabel.height + 2
        text: chart.bytes ? Theme.formatBytes(chart.maxValue) : Math.round(chart.maxValue)
        color: Theme.mutedText; font.pixelSize: Theme.smallFontSize
    }
    Label {
        anchors.left: parent.left; anchors.leftMargin: Theme.padding
        anchors.bottom: parent.bottom; anchors.bottomMargin: 4
        text: "-10 min"; color: Theme.mutedText; font.pixelSize: Theme.smallFontSize
    }
    Label {
        anchors.right: parent.right; anchors.rightMargin: Theme.padding
        anchors.bottom: parent.bottom; anchors.bottomMargin: 4
        text: "now"; color: Theme.mutedText; font.pixelSize: Theme.smallFontSize
    }

    Canvas {
        id: canvas
        anchors.fill: parent
        anchors.topMargin: 44
        anchors.bottomMargin: 22
        anchors.leftMargin: Theme.padding
        anchors.rightMargin: Theme.padding
        onPaint: {
            var ctx = getContext("2d")
            ctx.reset()
            ctx.strokeStyle = Theme.border
            ctx.lineWidth = 1
            for (var g = 0; g <= 4; ++g) {
                var gy = Math.round(height * g / 4) + 0.5
                ctx.beginPath(); ctx.moveTo(0, gy); ctx.lineTo(width, gy); ctx.stroke()
            }
            if (!chart.model) return
            var n = chart.model.rowCount()
            if (n === 0) return
            var slot = width / n
            var barW = Math.max(1, (slot - 2) / chart.series.length)
            for (var i = 0; i < n; ++i) {
                for (var s = 0; s < chart.series.length; ++s) {
                    var v = chart.model.value(i, chart.series[s])
                    if (v <= 0) continue
                    var h = Math.max(1, height * v / chart.maxValue)
                    ctx.fillStyle = chart.colors[s]
                    ctx.fillRect(i * slot + 1 + s * barW, height - h, barW, h)
                }
            }
        }
    }
}
