import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// One number with its label.
Rectangle {
    id: card
    property string label
    property string value
    property color accent: Theme.accent
    implicitWidth: 160
    implicitHeight: 78
    radius: Theme.radius
    color: Theme.surface
    border.color: Theme.border
    Rectangle { width: 4; height: parent.height - 2 * Theme.radius; y: Theme.radius; color: card.accent }
    Column {
        anchors.fill: parent
        anchors.margins: Theme.padding
        anchors.leftMargin: Theme.padding + 4
        spacing: 4
        Label { text: card.label; color: Theme.mutedText; font.pixelSize: Theme.smallFontSize }
        Label { text: card.value; color: Theme.text; font.pixelSize: 24; font.bold: true }
    }
}
