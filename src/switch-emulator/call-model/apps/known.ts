// Applications a FreeSWITCH 1.10.12 with this project's modules has (mod_dptools, mod_db, mod_hash,
// mod_callcenter, mod_event_socket, mod_sofia, mod_loopback: their SWITCH_ADD_APP names) that the emulator does
// not model. Executing one is reported like any application (CHANNEL_EXECUTE, CHANNEL_EXECUTE_COMPLETE) and does
// nothing; a name FreeSWITCH does not know at all is "Invalid Application" (the channel is hung up).
export const KNOWN_UNMODELLED_APPS = new Set(
  (
    'acknowledge_call att_xfer bgsystem bind_digit_action bind_meta_app blind_transfer_ack block_dtmf break ' +
    'bridge_export broadcast callcenter callcenter_track capture capture_text check_acl clear_digit_action ' +
    'clear_speech_cache cng_plc db debug_media deduplicate_dtmf deflect delay_echo detect_audio detect_silence ' +
    'detect_speech digit_action_set_realm displace_session early_hangup eavesdrop echo enable_heartbeat ' +
    'enable_keepalive endless_playback eval execute_extension fax_detect filter_codecs flush_dtmf gentones group ' +
    'hash hold intercept ivr jitterbuffer limit limit_execute limit_hash limit_hash_execute loop_playback ' +
    'media_reset mkdir multiunset mutex native_eavesdrop novideo page park_state phrase pickup ' +
    'play_and_detect_speech preprocess presence privacy push queue_dtmf record_session record_session_mask ' +
    'record_session_pause record_session_resume record_session_unmask recovery_refresh redirect remove_bugs ' +
    'rename respond reuse_caller_profile say sched_broadcast sched_cancel sched_hangup sched_heartbeat ' +
    'sched_transfer send_display send_dtmf send_info session_loglevel set_audio_level set_global ' +
    'set_media_stats set_mute set_name set_profile_var set_user set_zombie_exec sofia_sla ' +
    'sofia_stir_shaken_vs soft_hold sound_test speak start_dtmf start_dtmf_generate stop ' +
    'stop_displace_session stop_dtmf stop_dtmf_generate stop_record_session stop_tone_detect ' +
    'stop_video_write_overlay strftime system tone_detect transfer_vars unbind_meta_app ' +
    'unblock_dtmf unhold unloop unshift vad_test verbose_events video_decode video_refresh ' +
    'video_write_overlay wait_for_answer wait_for_silence wait_for_video_ready'
  ).split(' '),
);
