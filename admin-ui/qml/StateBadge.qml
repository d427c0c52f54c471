import QtQuick
import QtQuick.Controls

// A coloured dot and the connection state of one AdminConnection.
Row {
    id: badge
    property var connection: null
    spacing: 6
    Rectangle {
        width: 10; height: 10; radius: 5
        anchors.verticalCenter: parent.verticalCenter
        color: Theme.stateColor(badge.connection ? badge.connection.stateText : "")
    }
    Label {
        text: badge.connection ? badge.connection.stateText : "no server"
        color: Theme.mutedText
        font.pixelSize: Theme.fontSize
    }
}
