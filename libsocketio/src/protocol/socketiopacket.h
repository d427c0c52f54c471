// Socket.IO protocol revision 5 packet codec (protocol.md 2.1 to 2.4).
#pragma once

#include "limits.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QCborArray>
#include <QCborValue>
#include <QList>
#include <QString>

namespace SocketIo::Protocol {

enum class PacketType : quint8 {
    Connect = 0,
    Disconnect = 1,
    Event = 2,
    Ack = 3,
    ConnectError = 4,
    BinaryEvent = 5,
    BinaryAck = 6,
};

/*!
  One Socket.IO packet. \c data is undefined when the packet has no payload. Binary values are
  QCborValue byte strings in place (the decoder has already put the attachments back; the
  encoder takes them out). Decoded BINARY_EVENT/BINARY_ACK are reported as Event/Ack.
*/
struct Packet
{
    PacketType type = PacketType::Event;
    QString nsp = QStringLiteral("/");
    qint64 id = -1;            // ack id, -1 when absent
    QCborValue data;           // undefined when absent

    bool hasId() const { return id >= 0; }
};

/*! A packet as it goes on the wire: the text of the first Engine.IO message, then one binary
    Engine.IO message per attachment. */
struct EncodedPacket
{
    QByteArray text;
    QList<QByteArray> attachments;
};

/*!
  Encodes like socket.io-parser's Encoder: EVENT/ACK whose data contains byte strings are
  re-typed to BINARY_EVENT/BINARY_ACK with "<n>-" and placeholders; namespace written (followed by
  ',') only when it is not "/"; ack id whenever >= 0; JSON through Json::write.
*/
EncodedPacket encodePacket(const Packet &packet);

/*! Reserved event names (socket.io-parser RESERVED_EVENTS). */
bool isReservedEventName(const QString &name);

/*!
  Incremental decoder, one per connection, mirroring socket.io-parser's Decoder exactly
  (protocol.md 2.2 and 2.3), including its validity table. Feed every Engine.IO message in order.
  After an error the decoder must be reset (the connection is closed anyway).
*/
class Decoder
{
public:
    enum class Result {
        NeedMore,   // a binary packet header was read, waiting for attachments
        Packet,     // a complete packet is available through packet()
        Error,      // malformed input, see errorString()
    };

    explicit Decoder(int maxAttachments = MaxAttachments);

    Result addText(QByteArrayView utf8);
    Result addBinary(const QByteArray &data);

    /*! The packet completed by the last call that returned Result::Packet. */
    Packet takePacket();
    QString errorString() const;
    /*! True while attachments of a binary packet are still expected. */
    bool isReconstructing() const;
    void reset();

private:
    int m_maxAttachments;
    Packet m_packet;
    int m_expectedAttachments = 0;
    QList<QByteArray> m_buffers;
    QString m_error;
    bool m_reconstructing = false;
};

} // namespace SocketIo::Protocol
