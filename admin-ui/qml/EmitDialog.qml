import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import SocketIoAdmin.Models

// Sends the admin `emit` command: an event with JSON arguments to a socket or a room.
Dialog {
    id: dialog
    property AdminConnection connection: null
    property string nsp: "/"
    property string target: ""   // a socket id or a room; empty: the whole namespace
    title: "Emit to " + (target === "" ? nsp : target)
    modal: true
    standardButtons: Dialog.Ok | Dialog.Cancel
    width: 420

    ColumnLayout {
        anchors.fill: parent
        Label { text: "Event name" }
        TextField { id: eventField; Layout.fillWidth: true; text: "message" }
        Label { text: "Arguments (a JSON array)" }
        TextField { id: argsField; Layout.fillWidth: true; text: "[\"hello\"]" }
        Label { id: errorLabel; color: Theme.bad; visible: text.length > 0 }
    }
    onAccepted: {
        var args = []
        try {
            args = JSON.parse(argsField.text)
            if (!Array.isArray(args)) args = [args]
        } catch (e) {
            errorLabel.text = "invalid JSON: " + e
            open()
            return
        }
        errorLabel.text = ""
        if (connection)
            connection.emitEvent(nsp, target, eventField.text, args)
    }
}
