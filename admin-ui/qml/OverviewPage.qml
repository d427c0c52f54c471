import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import SocketIoAdmin.Models

// Counts and live charts (aggregated events, 10 s slots over 10 minutes).
Pane {
    id: page
    property AdminConnection connection: null
    background: Rectangle { color: Theme.background }

    property int socketTotal: 0
    function updateSocketTotal() {
        var n = 0
        if (connection) {
            var m = connection.namespaces
            for (var i = 0; i < m.count; ++i) n += m.get(i).socketsCount
        }
        socketTotal = n
    }
    onConnectionChanged: updateSocketTotal()
    Component.onCompleted: updateSocketTotal()
    Connections {
        target: page.connection ? page.connection.namespaces : null
        function onFlushed() { page.updateSocketTotal() }
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: Theme.padding
        PageHeader {
            objectName: "overviewHeader"
            title: "Overview"
            subtitle: page.connection ? page.connection.displayName + " — " + page.connection.stateText : ""
            notice: page.connection && !page.connection.developmentMode
                    ? "Production mode: the server reports statistics only (no per-socket details)." : ""
        }
        Flow {
            Layout.fillWidth: true
            spacing: Theme.padding
            StatCard {
                label: "Servers (healthy / total)"
                value: page.connection ? page.connection.servers.healthyCount + " / " + page.connection.servers.count : "-"
            }
            StatCard {
                label: "Clients"
                value: page.connection ? page.connection.servers.totalClients : "-"
                accent: Theme.good
            }
            StatCard {
                label: "Sockets"
                value: page.connection ? page.socketTotal : "-"
                accent: Theme.incoming
            }
            StatCard {
                label: "Rooms"
                value: page.connection && page.connection.developmentMode ? page.connection.rooms.count : "n/a"
                accent: Theme.outgoing
            }
            StatCard {
                label: "Connections (10 min)"
                value: page.connection ? page.connection.charts.totalConnections : "-"
                accent: Theme.good
            }
            StatCard {
                label: "Bytes in / out (10 min)"
                value: page.connection ? Theme.formatBytes(page.connection.charts.totalBytesIn) + " / "
                                         + Theme.formatBytes(page.connection.charts.totalBytesOut) : "-"
                accent: Theme.warning
                implicitWidth: 220
            }
        }
        BarChart {
            Layout.fillWidth: true
            Layout.fillHeight: true
            title: "Connections and disconnections"
            model: page.connection ? page.connection.charts : null
        }
        BarChart {
            Layout.fillWidth: true
            Layout.fillHeight: true
            title: "Bytes received and sent"
            bytes: true
            model: page.connection ? page.connection.charts : null
            series: ["bytesIn", "bytesOut"]
            labels: ["bytes in", "bytes out"]
            colors: [Theme.incoming, Theme.outgoing]
        }
        Rectangle {
            Layout.fillWidth: true
            Layout.preferredHeight: 120
            radius: Theme.radius
            color: Theme.surface
            border.color: Theme.border
            ColumnLayout {
                anchors.fill: parent
                anchors.margins: Theme.spacing
                Label { text: "Namespaces"; font.bold: true }
                ListView {
                    Layout.fillWidth: true
                    Layout.fillHeight: true
                    orientation: ListView.Horizontal
                    spacing: Theme.padding
                    clip: true
                    model: page.connection ? page.connection.namespaces : null
                    delegate: Rectangle {
                        required property string name
                        required property int socketsCount
                        width: 140; height: 56
                        radius: Theme.radius
                        color: Theme.rowAlt
                        border.color: Theme.border
                        Column {
                            anchors.centerIn: parent
                            Label { text: name; font.family: Theme.monoFont; anchors.horizontalCenter: parent.horizontalCenter }
                            Label { text: socketsCount + " sockets"; color: Theme.mutedText; anchors.horizontalCenter: parent.horizontalCenter }
                        }
                    }
                }
            }
        }
    }
}
