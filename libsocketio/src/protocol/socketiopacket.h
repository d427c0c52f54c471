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
    /*! Set by a decoder with Decoder::setSeparateEventName(true) for an EVENT whose name is a
        string: \c data holds only the arguments (the name is in \c event). Next to \c type: the
        two share one word. */
    bool argsOnly = false;
    QString nsp = QStringLiteral("/");
    qint64 id = -1;            // ack id, -1 when absent
    QCborValue data;           // undefined when absent
    /*! Set by the decoder for an EVENT whose name is a string: that name (read once). */
    QString event;

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
  Details: BinaryEvent/BinaryAck given in \a packet are treated as Event/Ack (the wire type follows
  from the data); data that is undefined or null is not written (as the reference's
  `null != data`); byte strings in other packet types are written as null. An empty namespace
  counts as "/". A namespace containing ',' cannot be decoded, so the result is then empty (no
  text). The number of attachments is not limited here: callers keep to MaxAttachments.
*/
EncodedPacket encodePacket(const Packet &packet);

/*! The server's CONNECT reply for namespace \a nsp: the text encodePacket() gives for a CONNECT
    packet with data {"sid": sid} and, when \a pid is not empty, "pid": pid; written directly,
    without building the map. */
QByteArray encodeConnectReply(const QString &nsp, const QString &sid, const QString &pid);

/*! The Engine.IO message of that reply: "4" followed by encodeConnectReply()'s text, written in
    one buffer (what EngineSessionPrivate::sendFramed() sends as it is); "4" alone when
    encodeConnectReply() is empty. */
QByteArray encodeConnectReplyMessage(const QString &nsp, const QString &sid, const QString &pid);

/*!
  Builds an EVENT packet: data = [event, ...args]. encodePacket() turns it into BINARY_EVENT when
  \a args hold byte strings.
*/
inline Packet makeEventPacket(const QString &nsp, const QString &event, const QCborArray &args,
                              qint64 id = -1)
{
    QCborArray data = args;
    data.prepend(event);
    Packet packet;
    packet.type = PacketType::Event;
    packet.nsp = nsp;
    packet.id = id;
    packet.data = std::move(data);
    return packet;
}

/*! Builds an ACK packet answering ack id \a id with \a args. */
inline Packet makeAckPacket(const QString &nsp, qint64 id, const QCborArray &args)
{
    Packet packet;
    packet.type = PacketType::Ack;
    packet.nsp = nsp;
    packet.id = id;
    packet.data = args;
    return packet;
}

/*! Reserved event names (socket.io-parser RESERVED_EVENTS). */
bool isReservedEventName(const QString &name);

/*!
  Incremental decoder, one per connection, mirroring socket.io-parser's Decoder exactly
  (protocol.md 2.2 and 2.3), including its validity table. Feed every Engine.IO message in order.
  After an error the decoder must be reset (the connection is closed anyway); until then every
  call returns Result::Error.

  Reference behaviours kept on purpose, because a JS peer may rely on them:
  - the header is read with JavaScript's Number(): an empty message or one starting with a
    whitespace character is a CONNECT to "/"; a digit/whitespace run after the namespace is the
    ack id ("2 [\"a\"]" has ack id 0); the attachment count may be written "1e1", "0xA", " 2 ";
  - EVENT and ACK without payload ("2", "42" on the wire) are accepted with data undefined, and
    numeric event names (`[1,"a"]`) are valid: the Socket.IO layer decides what to do with them;
  - placeholders in a packet that was not announced as binary are left as they are.
  Deliberate differences (the reference cannot express or would crash on them):
  - a text message or namespace that is not valid UTF-8 is refused (Node would have replaced the
    bytes with U+FFFD);
  - an ack id that does not fit in 64 bits, or that Number() would read as NaN ("1 2"), is an
    error, where JavaScript would round or carry NaN;
  - 0 attachments are refused (as npm socket.io-parser 4.2.7 does);
  - a placeholder whose num is not an integer is an error (the reference puts undefined there).
*/
class Decoder
{
public:
    enum class Result {
        NeedMore,   // a binary packet header was read, waiting for attachments
        Packet,     // a complete packet is available through packet()
        Error,      // malformed input, see errorString()
    };

    /*! A decoder refusing binary packets that announce more than \a maxAttachments buffers. */
    explicit Decoder(int maxAttachments = MaxAttachments);

    /*! Feeds one Engine.IO text message (the Socket.IO packet string, UTF-8). Returns Packet for
        a complete non-binary packet, NeedMore for a binary header, Error otherwise (also while
        attachments are expected). */
    Result addText(QByteArrayView utf8);
    /*! Feeds one Engine.IO binary message: the next attachment of the pending binary packet.
        Returns Packet once the last one arrived and the placeholders were replaced. */
    Result addBinary(const QByteArray &data);

    /*! The packet completed by the last call that returned Result::Packet. */
    Packet takePacket();
    /*! Why the last call returned Result::Error: short, lowercase, e.g. "invalid payload". */
    QString errorString() const;
    /*! True while attachments of a binary packet are still expected. */
    bool isReconstructing() const;
    /*! Drops any pending packet and error; the decoder is as new. */
    void reset();
    /*! With \a on, an EVENT whose name is a string is decoded with the name in Packet::event
        and only the arguments in Packet::data (Packet::argsOnly set): the name is never put in
        the array and taken out again. Off by default. Kept by reset(). */
    void setSeparateEventName(bool on) { m_separateEventName = on; }

private:
    Result fail(const QString &error);

    Packet m_packet;
    QList<QByteArray> m_buffers;
    QString m_error;
    int m_maxAttachments;
    int m_expectedAttachments = 0;
    bool m_reconstructing = false;
    bool m_failed = false;
    bool m_separateEventName = false;
};

} // namespace SocketIo::Protocol
