import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import SocketIoAdmin.Models

// One socket: handshake, data, rooms, and the actions the server allows.
Rectangle {
    id: detail
    property AdminConnection connection: null
    property string nsp
    property string socketId
    property var info: ({})

    radius: Theme.radius
    color: Theme.surface
    border.color: Theme.border

    function refresh() {
        info = connection && socketId !== "" ? connection.sockets.socket(nsp, socketId) : ({})
    }
    onSocketIdChanged: refresh()
    onNspChanged: refresh()
    Connections {
        target: detail.connection ? detail.connection.sockets : null
        function onFlushed() { detail.refresh() }
    }

    Flickable {
        id: flick
        anchors.fill: parent
        anchors.margins: Theme.padding
        clip: true
        contentWidth: width
        contentHeight: content.implicitHeight
        ScrollBar.vertical: ScrollBar {}
        ColumnLayout {
            id: content
            width: flick.width
            spacing: Theme.spacing
            Label { text: "Socket"; font.bold: true; font.pixelSize: 16 }
            Label {
                visible: detail.info.socketId === undefined
                text: detail.socketId === "" ? "Select a socket to see its details." : "This socket is gone."
                color: Theme.mutedText
                wrapMode: Text.Wrap
                Layout.fillWidth: true
            }
            GridLayout {
                columns: 2
                columnSpacing: Theme.spacing
                visible: detail.info.socketId !== undefined
                Label { text: "id"; color: Theme.mutedText }
                Label { text: detail.info.socketId || ""; font.family: Theme.monoFont }
                Label { text: "client"; color: Theme.mutedText }
                Label { text: detail.info.clientId || ""; font.family: Theme.monoFont }
                Label { text: "namespace"; color: Theme.mutedText }
                Label { text: detail.info.nsp || "" }
                Label { text: "transport"; color: Theme.mutedText }
                Label { text: detail.info.transport || "" }
                Label { text: "address"; color: Theme.mutedText }
                Label { text: detail.info.address || "" }
                Label { text: "connected"; color: Theme.mutedText }
                Label { text: detail.info.connectedAt ? Qt.formatDateTime(detail.info.connectedAt, "yyyy-MM-dd hh:mm:ss") : "" }
            }
            Label { text: "Rooms"; font.bold: true; visible: detail.info.socketId !== undefined }
            Repeater {
                model: detail.info.rooms || []
                delegate: RowLayout {
                    required property string modelData
                    Layout.fillWidth: true
                    Label { text: modelData; Layout.fillWidth: true; elide: Text.ElideRight; font.family: Theme.monoFont }
                    Button {
                        text: "Leave"
                        visible: detail.connection && detail.connection.canLeave && modelData !== detail.socketId
                        onClicked: detail.connection.leaveRoom(detail.nsp, modelData, detail.socketId)
                    }
                }
            }
            RowLayout {
                visible: detail.connection !== null && detail.connection.canJoin && detail.info.socketId !== undefined
                TextField { id: roomField; objectName: "joinRoomField"; Layout.fillWidth: true; placeholderText: "room" }
                Button {
                    objectName: "joinRoomButton"
                    text: "Join"
                    enabled: roomField.text.length > 0
                    onClicked: { detail.connection.joinRoom(detail.nsp, roomField.text, detail.socketId); roomField.text = "" }
                }
            }
            Flow {
                Layout.fillWidth: true
                spacing: Theme.spacing
                visible: detail.info.socketId !== undefined
                Button {
                    text: "Emit…"
                    visible: detail.connection !== null && detail.connection.canEmit
                    onClicked: emitDialog.open()
                }
                Button {
                    text: "Disconnect"
                    visible: detail.connection !== null && detail.connection.canDisconnect
                    onClicked: detail.connection.disconnectSockets(detail.nsp, detail.socketId, false)
                }
                Button {
                    text: "Close connection"
                    visible: detail.connection !== null && detail.connection.canDisconnect
                    onClicked: detail.connection.disconnectSockets(detail.nsp, detail.socketId, true)
                }
            }
            Label { text: "Handshake"; font.bold: true; visible: detail.info.socketId !== undefined }
            Label {
                Layout.fillWidth: true
                text: detail.info.handshake ? JSON.stringify(detail.info.handshake, null, 2) : ""
                font.family: Theme.monoFont
                font.pixelSize: Theme.smallFontSize
                wrapMode: Text.WrapAnywhere
            }
            Label { text: "Data"; font.bold: true; visible: detail.info.socketId !== undefined }
            Label {
                Layout.fillWidth: true
                text: detail.info.data !== undefined ? JSON.stringify(detail.info.data, null, 2) : ""
                font.family: Theme.monoFont
                font.pixelSize: Theme.smallFontSize
                wrapMode: Text.WrapAnywhere
            }
        }
    }
    EmitDialog {
        id: emitDialog
        connection: detail.connection
        nsp: detail.nsp
        target: detail.socketId
        anchors.centerIn: Overlay.overlay
    }
}
