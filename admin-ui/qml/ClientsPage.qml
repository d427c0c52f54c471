import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import SocketIoAdmin.Models

// Engine.IO connections (clients) with their sockets.
Pane {
    id: page
    property AdminConnection connection: null
    background: Rectangle { color: Theme.background }

    ColumnLayout {
        anchors.fill: parent
        spacing: Theme.spacing
        PageHeader {
            title: "Clients"
            subtitle: page.connection ? page.connection.clients.count + " clients" : ""
            notice: page.connection && !page.connection.developmentMode
                    ? "Production mode: the server does not report clients." : ""
        }
        ListView {
            objectName: "clientList"
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            spacing: 4
            model: page.connection ? page.connection.clients : null
            ScrollBar.vertical: ScrollBar {}
            delegate: Rectangle {
                id: clientRow
                required property string clientId
                required property string transport
                required property string address
                required property int socketCount
                required property var socketIds
                required property var namespaces
                width: ListView.view.width
                height: 52
                radius: Theme.radius
                color: Theme.surface
                border.color: Theme.border
                RowLayout {
                    anchors.fill: parent
                    anchors.margins: Theme.spacing
                    spacing: Theme.padding
                    ColumnLayout {
                        Layout.fillWidth: true
                        spacing: 0
                        Label { text: clientRow.clientId; font.bold: true; font.family: Theme.monoFont }
                        Label {
                            Layout.fillWidth: true
                            text: clientRow.transport + " · " + clientRow.address + " · " + clientRow.socketCount
                                  + " socket(s): " + clientRow.socketIds.map((id, i) => clientRow.namespaces[i] + " " + id).join(", ")
                            color: Theme.mutedText
                            elide: Text.ElideRight
                        }
                    }
                    Button {
                        text: "Disconnect"
                        visible: page.connection !== null && page.connection.canDisconnect
                        onClicked: page.connection.disconnectSockets(clientRow.namespaces[0], clientRow.socketIds[0], true)
                    }
                }
            }
        }
    }
}
