import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import SocketIoAdmin.Models

// Every server behind the admin namespace and its health (stats younger than 10 s).
Pane {
    id: page
    property AdminConnection connection: null
    background: Rectangle { color: Theme.background }

    ColumnLayout {
        anchors.fill: parent
        spacing: Theme.spacing
        PageHeader {
            title: "Servers"
            subtitle: page.connection ? page.connection.servers.healthyCount + " healthy of " + page.connection.servers.count : ""
        }
        ListView {
            objectName: "serverList"
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            spacing: 6
            model: page.connection ? page.connection.servers : null
            delegate: Rectangle {
                id: serverRow
                required property string serverId
                required property string hostname
                required property int pid
                required property real uptime
                required property int clientsCount
                required property int pollingClientsCount
                required property bool healthy
                required property var namespaces
                width: ListView.view.width
                height: 84
                radius: Theme.radius
                color: Theme.surface
                border.color: serverRow.healthy ? Theme.border : Theme.bad
                RowLayout {
                    anchors.fill: parent
                    anchors.margins: Theme.padding
                    spacing: Theme.padding * 2
                    Rectangle { width: 14; height: 14; radius: 7; color: serverRow.healthy ? Theme.good : Theme.bad }
                    ColumnLayout {
                        Layout.fillWidth: true
                        spacing: 2
                        Label { text: serverRow.serverId; font.bold: true; font.pixelSize: 15 }
                        Label { text: serverRow.hostname + " · pid " + serverRow.pid + " · up " + Theme.formatDuration(serverRow.uptime); color: Theme.mutedText }
                        Label {
                            text: serverRow.namespaces.map(n => n.name + " (" + n.socketsCount + ")").join("  ")
                            color: Theme.mutedText
                            font.family: Theme.monoFont
                        }
                    }
                    ColumnLayout {
                        Label { text: serverRow.clientsCount + " clients"; font.bold: true }
                        Label { text: serverRow.pollingClientsCount + " on polling"; color: Theme.mutedText }
                    }
                    Label {
                        text: serverRow.healthy ? "healthy" : "unhealthy"
                        color: serverRow.healthy ? Theme.good : Theme.bad
                        font.bold: true
                    }
                    // a server that left the cluster (a restarted worker, a moved pod): forget it
                    Button {
                        objectName: "removeServer"
                        text: "Remove"
                        visible: !serverRow.healthy
                        onClicked: page.connection.servers.removeServer(serverRow.serverId)
                    }
                }
            }
        }
    }
}
